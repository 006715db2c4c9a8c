"""What a message is and what a platform's answer says: the rules, as data.

Each platform may have its own rules (PLATFORM_RULES, by the directory's slug); what a
platform does not say for itself falls back to DEFAULT_RULES. A rule is a name, a regular
expression (case-insensitive, on the words of the message that are new, not the quoted
notice below them) and why it means what it says: staff see the rule's name beside the
suggestion, so they can judge it.

The defaults are English, written from the answers platforms' trust-and-safety desks send
(Google's, Meta's, X's and the DMCA/DSA wording they follow). They are checked in order,
first match wins, and the order is the reasoning:
1. a counter-notice is a legal step with a deadline (DMCA 512(g)): it must never be read
   as a plain refusal;
2. a request for more information comes before refusal and removal, because such letters
   say "we are unable to act ... until you provide", which would otherwise read as a no;
3. a refusal comes before removal, because refusals quote the removal they decline
   ("we have not removed", "does not qualify for removal");
4. removal last.
Nothing here ever changes a request: it is a suggestion that staff confirm or correct.
"""

import re
from dataclasses import dataclass

from inbound.reading import header, headers_all


@dataclass(frozen=True)
class Rule:
    name: str
    decision: str  # inbound.models.Decision value
    pattern: re.Pattern
    why: str


def _rule(name, decision, pattern, why):
    return Rule(name, decision, re.compile(pattern, re.IGNORECASE | re.DOTALL), why)


DEFAULT_RULES = (
    _rule(
        "counter-notice",
        "counter_notice",
        r"counter[- ]?(notice|notification)|512\s*\(g\)|put back"
        r"|restor(e|ed) the (material|content)",
        "The uploader has answered the notice; under the DMCA the material may come back in "
        "10 to 14 business days unless a suit is filed.",
    ),
    _rule(
        "asks for more information",
        "more_information",
        r"(please|kindly|could you|can you|we need|we require|need you to"
        r"|unable to (process|proceed|act)[^.]{0,80}until)[^.]{0,80}"
        r"\b(provide|send|confirm|include|verify|clarify|specify|additional|more|further"
        r"|missing)\b"
        r"|\b(unable|not able|could not|couldn't|cannot) to? ?(locate|find|identify|verify)\b"
        r"|\b(incomplete|insufficient) (report|request|notice|information)\b"
        r"|\bmore (information|details)\b|\badditional (information|details)\b",
        "The platform cannot act on the notice as it stands: it asks for something (a link, "
        "a signature, proof of identity) before it decides.",
    ),
    _rule(
        "declines to remove",
        "refused",
        r"\b(does|do|did) not (violate|breach|go against|meet|qualify)"
        r"|\bdoesn't (violate|breach|meet|qualify)"
        r"|\b(not|no) (in )?(violation|breach) of"
        r"|\b(decided|determined|concluded) (not to|that no"
        r"|that the (content|material|post|image)s? (does|do) not)"
        r"|\b(will|can|could|are unable to|were unable to|won't|cannot|can't) ?(not )?"
        r"(remove|take down|take action)"
        r"|\bno (further )?action (will be|was|has been|is) taken"
        r"|\b(declined|rejected|denied) (your|the) (request|report|notice)"
        r"|\bnot (been )?(removed|taken down)",
        "The platform says the content stays: it does not break its rules or the law as it "
        "reads them. A refusal can often be appealed or taken to a regulator.",
    ),
    _rule(
        "says it removed",
        "removed",
        r"\b(has|have|had) been (removed|taken down|disabled|deleted|blocked|restricted)"
        r"|\b(we|we've|we have|we had)( now)? "
        r"(removed|taken down|disabled|deleted|blocked|restricted)"
        r"|\bno longer (available|accessible|visible|live)"
        r"|\b(removed|took down|disabled access to) the "
        r"(content|material|post|image|video|url|link)",
        "The platform says the content is gone. LeakCase's rechecks confirm it at the links "
        "themselves.",
    ),
)

# Ticket numbers in acknowledgements and subjects. The default finds the usual shapes:
# "[Ticket #123456]", "Case 01234567", "Request ID: ABC-12345", "ref: 5ABC00000001".
DEFAULT_TICKET_PATTERNS = (
    re.compile(
        r"\b(?:ticket|case|request|reference|ref|report)\s*(?:#|no\.?|number|id)?\s*[:#]?\s*"
        r"\[?#?([A-Z0-9][A-Z0-9-]{3,40}[0-9])\b",
        re.IGNORECASE,
    ),
    re.compile(r"\[#([A-Z0-9-]{4,40})\]"),
    re.compile(r"(?<![\w#])#(\d{4,20})\b"),
)

# Per platform, by the directory's slug: what its own mail says. Only what differs from
# the defaults: rules listed here are tried before the defaults.
PLATFORM_RULES: dict[str, tuple[Rule, ...]] = {
    "google": (
        _rule(
            "Google: URLs were not removed",
            "refused",
            r"we (have|will) not (take|taken) action|not be (removing|delisting)",
            "Google's wording when a delisting request is declined.",
        ),
        _rule(
            "Google: delisted",
            "removed",
            r"(delisted|removed) (the )?(url|urls|result|results) (from|in) (google )?search",
            "Google's wording when search results stop showing the images.",
        ),
    ),
}
PLATFORM_TICKET_PATTERNS: dict[str, tuple[re.Pattern, ...]] = {
    # Salesforce-style thread references that many platforms' support desks carry.
    "meta": (re.compile(r"\bref:_?([0-9A-Za-z]{5,}\._?[0-9A-Za-z]{5,}):ref\b"),),
}


def rules_for(platform_slug: str | None) -> tuple[Rule, ...]:
    return PLATFORM_RULES.get(platform_slug or "", ()) + DEFAULT_RULES


def ticket_patterns_for(platform_slug: str | None) -> tuple[re.Pattern, ...]:
    return PLATFORM_TICKET_PATTERNS.get(platform_slug or "", ()) + DEFAULT_TICKET_PATTERNS


def suggest(text: str, platform_slug: str | None = None, *, dmca: bool = True) -> Rule | None:
    """The first rule the new words of a human reply match, or None. Counter-notices exist
    only under the DMCA: for a request on another route (dmca False) that rule is skipped
    and the wording is read by the next ones."""
    words = new_words(text)
    for rule in rules_for(platform_slug):
        if rule.decision == "counter_notice" and not dmca:
            continue
        if rule.pattern.search(words):
            return rule
    return None


def find_ticket(text: str, platform_slug: str | None = None) -> str:
    for pattern in ticket_patterns_for(platform_slug):
        found = pattern.search(text or "")
        if found:
            return found.group(1)
    return ""


# Where a reply stops being new: the quoted message under it.
QUOTE_STARTS = re.compile(
    r"^(on .{0,200}wrote:?|-{2,}\s*original message\s*-{2,}|_{5,}|from: .+|"
    r"begin forwarded message:?|-{2,}\s*forwarded message\s*-{2,})\s*$",
    re.IGNORECASE,
)


def new_words(text: str) -> str:
    """The message's own words: quoted lines ("> ...") and everything from the first
    "On ... wrote:" or "Original Message" line on are the notice we sent, not the answer."""
    kept = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if QUOTE_STARTS.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


# --- what kind of message ------------------------------------------------------------------

# RFC 3834 3.1.7: Auto-Submitted other than "no" is machine-written. The others are the
# older conventions still sent by vacation responders and ticketing systems.
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress")
AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}
# Helpdesk software: its acknowledgements are machine-written, but its agents' answers go
# out through it too, so a vendor header counts only with acknowledgement wording.
HELPDESK_HEADER_PREFIXES = ("x-zendesk-", "x-freshdesk-", "x-sfdc-", "x-helpscout-", "x-hs-")
HELPDESK_MAILERS = re.compile(r"zendesk|freshdesk|salesforce|help ?scout|servicenow|jira", re.I)
ACKNOWLEDGEMENT = re.compile(
    r"(we|we've|we have) (have )?received your (request|report|message|email|notice)"
    r"|(thank you|thanks) for (contacting|reaching out|your (report|request|message|email))"
    r"|(ticket|case|request) (has been|was) (created|opened|logged|received)"
    r"|this is an automat(ed|ic) (reply|response|message)"
    r"|do not reply to this (email|message)|out of (the )?office|auto(matic)?[- ]?reply",
    re.IGNORECASE,
)
AUTO_SUBJECT = re.compile(
    r"^(auto(matic)? ?(reply|response)|autoreply|out of (the )?office|ooo\b|auto:)", re.I
)
# RFC 3464 with a permanent failure (5.x.x); delays (4.x.x) are not failures yet.
PERMANENT_STATUS = re.compile(r"^\s*Status:\s*5\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed|failed)|returned mail|"
    r"failure notice|could not be delivered|mail delivery (failed|subsystem)|"
    r"delivery incomplete|non[- ]?delivery",
    re.IGNORECASE,
)


def is_auto_reply(message, text: str) -> str:
    """Why the message is machine-written (an acknowledgement or an absence), or ""."""
    auto = header(message, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    for name in AUTO_HEADERS:
        if headers_all(message, name):
            return name
    precedence = header(message, "Precedence").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    subject = header(message, "Subject")
    if AUTO_SUBJECT.search(subject.strip()):
        return "automatic-reply subject"
    helpdesk = any(k.lower().startswith(HELPDESK_HEADER_PREFIXES) for k in message)
    helpdesk = helpdesk or bool(HELPDESK_MAILERS.search(header(message, "X-Mailer")))
    if helpdesk and ACKNOWLEDGEMENT.search(subject + "\n" + new_words(text)):
        return "helpdesk acknowledgement"
    return ""


def bounce_status(message, sender: str, subject: str) -> str:
    """Whether a message is a bounce: "permanent" (undelivered), "delay", or "" (not one)."""
    if (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    ):
        for part in message.walk():
            if part.get_content_type() == "message/delivery-status":
                report = _delivery_status_text(part)
                return "permanent" if PERMANENT_STATUS.search(report) else "delay"
        return "permanent"
    if BOUNCE_SENDERS.match(sender or "") and BOUNCE_SUBJECT.search(subject or ""):
        return "permanent"
    return ""


def _delivery_status_text(part) -> str:
    # policy.default reads message/delivery-status as a list of header blocks.
    if part.is_multipart():
        return "\n".join(str(block) for block in part.get_payload())
    payload = part.get_payload(decode=True)
    return payload.decode("latin-1") if isinstance(payload, bytes) else str(part.get_payload())
