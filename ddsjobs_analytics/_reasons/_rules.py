"""Value masks and the tokeniser: the first, rule-based half of failure-message templating.

A message is cleaned (lone surrogates and zero-width characters, whitespace runs), the text rules of
:data:`PLACEHOLDER_RULES` replace values with a recognisable shape (quoted text, URLs, ids, addresses…), the
text is split into tokens (CJK and ASCII runs apart, punctuation apart from the values it is glued to), and
the token rules mask any remaining token that holds a digit. What is left as words goes to the learning step
(:mod:`._learn`), which decides from all messages which word positions vary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = [
    "EMPTY",
    "PLACEHOLDER_RULES",
    "PlaceholderRule",
    "RuleSet",
    "Token",
    "apply_rule",
    "mask_text",
    "rule_set",
    "split_tokens",
    "tokenise",
]


class PlaceholderRule(NamedTuple):
    """One masking step: every match of ``pattern`` becomes ``placeholder``.

    Text rules (``token=False``) run on the whole message, in order, before tokenising; a token rule
    (``token=True``) must match a whole ASCII token. ``needs`` lists characters of which any match must
    contain one (a message without any skips the regex); ``keep`` may veto a match.
    """

    placeholder: str
    pattern: re.Pattern[str]
    description: str
    needs: str = ""
    keep: Callable[[str], bool] | None = None
    token: bool = False


class Token(NamedTuple):
    """A token of a cleaned message: its text, the placeholder masking it ("" if none) and the rule's
    placeholder that produced it, and whether whitespace preceded it."""

    text: str
    mask: str
    spaced: bool


def _is_path_like(token: str) -> bool:
    # "read/write", "I/O" are words; "backups/2026/x.tar.gz", "/var/lib/mongodb" are paths; "3/5" is numbers.
    if "/" not in token:
        return False
    has_letter = any(ch.isalpha() for ch in token)
    return has_letter and (token.count("/") >= 2 or any(ch.isdigit() or ch == "." for ch in token))


# Guards in ASCII only: a value glued to CJK text ("实例dds-prod-32的节点…") is still a value.
_A = "A-Za-z0-9_"
_L = rf"(?<![{_A}.])"
_R = rf"(?![{_A}])"
_HEX = "[0-9a-fA-F]"
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\\.?"
_DIGITS = "0123456789"
_TLD = (
    r"(?:com|net|org|edu|gov|mil|int|io|cn|hk|tw|jp|kr|sg|uk|de|fr|ru|br|in|au|eu|us|ca|"
    r"local|localdomain|lan|internal|intranet|corp|cloud|cluster|svc|arpa)"
)
_HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"


def _is_host(token: str) -> bool:
    # A dotted name is a host if its first label holds a digit or a hyphen (48e6bc-0.dds.internal,
    # node-3.example.com) or it ends in a top-level or cluster domain (proxy.cse.cuhk.edu.hk). A Java class
    # (org.apache.Foo) or a flavor (dds.mongodb.s6.large) is not.
    labels = token.split(".")
    if len(labels) < 3 or not labels[-1].isalpha():
        return False
    first, last = labels[0], labels[-1]
    return (
        any(ch.isdigit() or ch == "-" for ch in first)
        or (len(last) == 2 and last.islower())
        or _TLD_END.fullmatch(last) is not None
    )


_TLD_END = re.compile(_TLD, re.IGNORECASE)
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_CJK_WORD = re.compile(f"[{_CJK}]+")
_CLOCK = r"\d{1,2}:\d{2}"
# A number, signed when the sign is not glued to a word before it ("=-4131", "value -3", not "x-3").
# A comparison before a quantity is part of it ("<1 sec", ">= 500 ms").
_SIGNED = rf"(?<![{_A}.,-])(?:(?<![{_A}.,])(?:[<>]=? ?|[-+~]))?"
_NUMBER = r"\d+(?:\.\d+)?"

# Applied top to bottom. Containers first (a quoted value or a path is one value, whatever it contains), then
# the most specific value shapes before the shapes they contain.
PLACEHOLDER_RULES: tuple[PlaceholderRule, ...] = (
    PlaceholderRule(
        "<QUOTED>",
        re.compile(r"""(?<![\w'])'[^'\n]{0,400}'(?!\w)|(?<![\w"])"[^"\n]{0,400}"(?!\w)|“[^”]*”|‘[^’]*’"""),
        "text in single, double or curly quotes (names with spaces, object keys)",
        needs="'\"“‘",
    ),
    PlaceholderRule(
        "<DOC>",
        re.compile(r"\{[^{}]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^{}]*)*\}"),
        "a document in braces holding a key: value pair, nested up to 3 deep: { _id: ObjectId(…) }, "
        "{ age: { $gt: 30 } }",
        needs="{",
        keep=lambda text: ":" in text,
    ),
    PlaceholderRule(
        "<URL>",
        re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,9}://[^\s'\"<>]*[^\s'\"<>.,;:)\]]"),
        "URLs with a scheme: https://…, obs://…, s3://…, hdfs://…",
        needs=":",
    ),
    PlaceholderRule(
        "<PATH>",
        re.compile(r"(?<![\w./-])(?:(?:~|\.{1,2})?/)?[\w.@%+~-]+(?:/+[\w.@%+~-]+)*/?"),
        "slash-separated paths and object keys that contain a letter and a digit, a dot or two slashes "
        "('read/write' and 'I/O' stay words)",
        needs="/",
        keep=_is_path_like,
    ),
    PlaceholderRule(
        "<UUID>",
        re.compile(rf"(?<![{_A}-]){_HEX}{{8}}(?:-{_HEX}{{4}}){{3}}-{_HEX}{{12}}(?![{_A}-])"),
        "8-4-4-4-12 hex UUIDs (job, ECS/EVS, request ids)",
        needs="-",
    ),
    PlaceholderRule(
        "<INSTANCE_ID>",
        re.compile(rf"(?<![{_A}-]){_HEX}{{32}}[a-z]{{2}}\d{{2}}{_R}"),
        "DDS resource ids: 32 hex digits + a kind suffix (…in02 instance, …no02 node, …br02 backup)",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<ID>",
        re.compile(rf"(?<![{_A}:])(?:{_HEX}{{2}}:){{3,}}{_HEX}{{2}}(?![{_A}:])"),
        "colon-separated hex bytes: MAC addresses, chip ids (FF:F2:9C:16:E8:2C)",
        needs=":",
    ),
    PlaceholderRule(
        "<TIME>",
        re.compile(
            r"(?<![A-Za-z0-9_.])(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?: ?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})(?!\w))?)?|\d{8}T\d{6}Z?|\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?)"
            rf"{_R}"
        ),
        "dates and times: 2026-11-02, 2026-11-02T10:00:00+0800, 2026-11-02 10:00:00.123 UTC, 10:00:00",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<HOST>",
        re.compile(rf"(?<![{_A}.-]){_HOSTNAME}(?::\d{{1,5}})?(?![{_A}-]|\.\w)"),
        "host names (48e6bc-0.dds.internal, node-3.example.com, proxy.cse.cuhk.edu.hk), with a port if any",
        needs=".",
        keep=lambda text: _is_host(text.split(":", 1)[0]),
    ),
    PlaceholderRule(
        "<TIME>",
        re.compile(
            rf"(?<![{_A}])(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?(?:\s+<TIME>|\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)"
            rf"(?:\s+(?:[A-Z]{{3,4}}|[+-]\d{{4}}))?(?:\s+\d{{4}})?{_R}"
        ),
        "dates with month names: Sun Jul 17 04:03:59 2005, Jul 17 04:03:59 PDT, Jun 9 2005 10:00",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<IP:PORT>",
        re.compile(rf"{_L}(?:\d{{1,3}}\.){{3}}\d{{1,3}}:\d{{1,5}}{_R}"),
        "IPv4 address with a port",
        needs=":",
    ),
    PlaceholderRule(
        "<IP>",
        re.compile(rf"{_L}(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?![{_A}]|\.\d)"),
        "IPv4 address",
        needs=".",
    ),
    PlaceholderRule(
        "<HOST:PORT>",
        re.compile(rf"(?<![{_A}.:-])[A-Za-z][A-Za-z0-9._-]*:\d{{1,5}}(?![{_A}]|:\w|\.\d)"),
        "a host name holding a '.', '-', '_' or a digit, with a port: node-3:27017, github.com:443, "
        "dds-9c2e_shard_node_2:8636 ('memory:8192' is a key and a value)",
        keep=lambda text: any(ch in "._-" or ch.isdigit() for ch in text.rsplit(":", 1)[0]),
        needs=":",
    ),
    PlaceholderRule(
        "<TIME>",
        re.compile(rf"(?<![{_A}:.]){_CLOCK}(?![{_A}:]|\.\d)"),
        "clock times and durations of two parts: 00:01, 9:30",
        needs=":",
    ),
    PlaceholderRule(
        "<ERROR_CODE>",
        re.compile(rf"(?<![{_A}.])[A-Z][A-Za-z]{{1,9}}\.\d{{3,7}}(?![{_A}]|\.\d)"),
        "service error codes: DBS.280005, APIGW.0308, Ecs.0319",
        needs=".",
    ),
    PlaceholderRule(
        "<NAMESPACE>",
        re.compile(rf"(?<![{_A}.$@-])[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(?![{_A}$@-]|\.\w)"),
        "a lower-case two-part database.collection namespace: orders.sessions",
        needs=".",
    ),
    PlaceholderRule(
        "<NAME>",
        re.compile(
            rf"[{_CJK}]*(?:[A-Za-z0-9]+|(?<=[{_CJK}]))(?:[-_](?:[{_CJK}]+|[A-Za-z0-9]+))*[-_][A-Za-z0-9]+{_R}"
        ),
        "names mixing CJK and ASCII parts joined by - or _, with the CJK text glued before them: "
        "会员库-prod-02, dds-支付中心-3",
        needs="-_",
        keep=lambda text: _HAS_CJK.search(text) is not None,
    ),
    PlaceholderRule(
        "<SIZE>",
        re.compile(rf"{_SIGNED}{_NUMBER} ?(?:[KMGTPEkmgtpe]i?[Bb]|B|bytes?){_R}"),
        "data sizes, the unit glued or after a space: 88.65 GB, 236MB, 1.5 TiB, 512 bytes",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<DURATION>",
        re.compile(
            rf"{_SIGNED}(?:\d+h(?:\d+m)?(?:\d+s)?|\d+m\d+s|{_NUMBER}"
            rf"(?: ?(?:[mµun]s|secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|milliseconds?|microseconds?)"
            rf"| ?[shd]|m)){_R}"
        ),
        "durations, the unit glued or after a space: 45 min, 3 h, 7h6m, 900000ms, 600s, 1.5 seconds",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<NUM>",
        re.compile(rf"(?<![{_A}.,])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?![{_A}]|,\d)"),
        "numbers with thousands separators: 1,024, 12,345.6",
        needs=",",
    ),
    PlaceholderRule(
        "<HEX>",
        re.compile(
            rf"(?<![{_A}-])(?:0[xX]{_HEX}+|{_HEX}{{16,}}"
            rf"|(?={_HEX}*[a-fA-F])(?={_HEX}*\d){_HEX}{{8,15}}){_R}"
        ),
        "hex values: 0x…, runs of 16+ hex digits, 8-15 hex digits mixing letters and digits",
        needs=_DIGITS,
    ),
    # Token rules: whole tokens that still hold a digit.
    PlaceholderRule(
        "<NUM>",
        re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:[KMGTPE]i?B|bytes|[KMGTPEkm]|ms|us|ns|s|min|m|h|d)?"),
        "numbers with a decimal part and a unit if any: 42, 3.5, 1,024, 100GB, 600s, 30000ms",
        token=True,
    ),
    PlaceholderRule(
        "<NAME>",
        re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.]+[A-Za-z0-9]+)+"),
        "names joined by - _ or . that start with a letter and hold a digit: dds-prod-32, cn-north-4a",
        token=True,
    ),
    PlaceholderRule(
        "<ID>",
        re.compile(r".*\d.*"),
        "any other token holding a digit: blk_-1608, user_1_db_1, E11000",
        token=True,
    ),
)

_UNSAFE = re.compile("[\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(
    r"(<[A-Z][A-Z_:]*>|<\*>)"  # a placeholder already there (idempotence, user rules)
    # An ASCII run; single inner . - @ $ # + keep it whole; a sign not glued to a word belongs to its number.
    r"|((?:(?<![A-Za-z0-9_])[-+](?=\d))?[A-Za-z0-9_]+(?:[.@$#+-][A-Za-z0-9_]+)*)"
    r"|([\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]"  # a CJK character
    r"|[^\W\d_]+"  # other letters (accented, Cyrillic…)
    r"|\S)"  # any other character: punctuation stands alone
)
_HAS_DIGIT = re.compile(r"\d")
_PLAIN = re.compile(r"[A-Za-z]+\d")  # STARTUP2, IPv4, md5, ssh2: words with one trailing digit stay words
_SEPARATORS = frozenset(",;")
_CLOSING = {")": "(", "]": "[", "}": "{"}
EMPTY = "<>"  # the placeholder of an absent value, rendered as nothing


def clean(message: str) -> str:
    """Lone surrogates become U+FFFD, zero-width and direction marks go, whitespace runs become one space."""
    if _UNSAFE.search(message):
        message = _UNSAFE.sub(lambda m: "\ufffd" if "\ud800" <= m.group(0) <= "\udfff" else "", message)
    return " ".join(message.split())


class RuleSet(NamedTuple):
    """Rules ready to run: text rules with their ``needs`` as sets, and token rules. The first ``whole``
    text rules may match across spaces (the user's rules, quoted text, documents) and see the whole
    message; the others never match across a space that :mod:`._islands` splits at."""

    text: list[tuple[PlaceholderRule, frozenset[str]]]
    token: list[PlaceholderRule]
    whole: int


def rule_set(rules: Sequence[PlaceholderRule]) -> RuleSet:
    """Split ``rules`` into text and token rules, each in order."""
    text = [(r, frozenset(r.needs)) for r in rules if not r.token]
    local = {id(r) for r in PLACEHOLDER_RULES[2:]}  # the built-in rules after <QUOTED> and <DOC>
    whole = max((at + 1 for at, (r, _) in enumerate(text) if id(r) not in local), default=0)
    return RuleSet(text, [r for r in rules if r.token], whole)


def apply_rule(rule: PlaceholderRule, text: str) -> str:
    """``text`` with every match of ``rule`` (that its ``keep`` accepts) replaced by its placeholder."""
    if rule.keep is None:
        return rule.pattern.sub(rule.placeholder, text)
    keep, placeholder = rule.keep, rule.placeholder
    return rule.pattern.sub(lambda m: placeholder if keep(m.group(0)) else m.group(0), text)


def mask_text(message: str, rules: Sequence[tuple[PlaceholderRule, frozenset[str]]]) -> str:
    """``message`` after the text ``rules``, in order (a rule whose ``needs`` are absent is skipped)."""
    present = set(message)
    for rule, needs in rules:
        if not needs or not needs.isdisjoint(present):
            message = apply_rule(rule, message)
    return message


def tokenise(message: str, rules: RuleSet) -> list[Token]:
    """The tokens of a cleaned ``message`` after the text rules (in order) and the token rules."""
    return split_tokens(mask_text(message, rules.text), rules)


def split_tokens(message: str, rules: RuleSet) -> list[Token]:
    """The tokens of a ``message`` already masked by the text rules, after the token rules."""
    tokens: list[Token] = []
    append = tokens.append
    for chunk in message.split(" "):
        spaced = True
        if _CJK_WORD.fullmatch(chunk):
            # CJK text standing alone between spaces is one word (a name in an English sentence); inside
            # CJK text, each character is a token, so that values glued to it can be told apart.
            append(Token(chunk, "", True))
            continue
        for placeholder, ascii_run, text in _TOKEN.findall(chunk):
            if placeholder:
                token = Token(placeholder, placeholder, spaced)
            elif ascii_run:
                mask = ""
                if (
                    not ascii_run.isalpha()
                    and _HAS_DIGIT.search(ascii_run)
                    and not _PLAIN.fullmatch(ascii_run)
                ):
                    mask = next((r.placeholder for r in rules.token if r.pattern.fullmatch(ascii_run)), "")
                token = Token(ascii_run, mask, spaced)
            else:
                token = Token(text, "", spaced)
                if text in _CLOSING and tokens and tokens[-1].text == _CLOSING[text]:
                    # An empty "()" holds a value that is absent: "(<HOST>)" and "()" are one template.
                    append(Token("", EMPTY, False))
            spaced = False
            # A list of one placeholder ("<IP:PORT>, <IP:PORT>") is one value, whatever its length.
            if (
                token.mask
                and token.mask != "<NUM>"
                and len(tokens) >= 2
                and tokens[-1].text in _SEPARATORS
                and tokens[-2].mask == token.mask
            ):
                tokens.pop()
                continue
            append(token)
    return tokens
