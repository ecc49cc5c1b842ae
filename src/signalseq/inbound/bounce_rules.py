"""What bounces say, as data: the patterns that make a message a delivery report, and
the patterns per reason that decide hard, soft or policy — read from the diagnostic
and the human-readable text, which win over a generic status code.

Each table is ordered; the first reason that matches wins. Patterns are matched,
case-insensitively, against at most the first few kilobytes of the report's own text
(never the returned original message, which may say anything).
"""

from __future__ import annotations

import re

# --- is it a delivery report at all ------------------------------------------------------

BOUNCE_SENDER = re.compile(
    r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|mailerdaemon|mail[-_.]delivery|"
    r"maildelivery|mdaemon|bounces?|nobody|noreply-dsn|mail[-_.]?admin|smtp[-_.]?gateway|"
    r"mailadmin|double-bounce|returns?)\b",
    re.IGNORECASE,
)
BOUNCE_DISPLAY_NAME = re.compile(
    r"mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|"
    r"delivery status notification|mail administrator|system administrator|"
    r"internet mail delivery|microsoft outlook|mail system",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|not (?:be )?delivered|could not (?:be )?deliver|delivery (?:status )?notification|"
    r"delivery (?:failure|failed|problem|report|warning|delayed|delay)|failure notice|"
    r"returned mail|returned to sender|mail delivery (?:failed|failure|warning|problem)|"
    r"delivery has failed|message (?:not delivered|delivery failed|could not be delivered)|"
    r"nondeliverable|non-deliverable|non[- ]delivery|mail system error|"
    r"warning: could not send|delayed mail|mail could not be delivered|rejected:|"
    r"nicht zustellbar|unzustellbar|non remis|no se puede entregar|non recapitabile|"
    r"onbestelbaar|zustellung (?:fehlgeschlagen|verzögert)|notificação de (?:falha|entrega)|"
    r"niedostarczon|kan ikke leveres|kunde inte levereras|ei voitu toimittaa",
    re.IGNORECASE,
)
# phrases only a delivery report uses (a vacation note or a person does not)
FAILURE_EVIDENCE = re.compile(
    r"could not be delivered|couldn't be delivered|cannot be delivered|can ?not deliver|"
    r"was not delivered|wasn't delivered|not delivered to|"
    r"undeliverable|delivery (?:has )?failed|delivery to the following recipients? "
    r"(?:failed|was unsuccessful)|permanent (?:error|failure|fatal)|fatal error|"
    r"temporary (?:error|failure)|unable to deliver|cannot deliver|can't deliver|"
    r"failed to deliver|message (?:was )?(?:rejected|returned|bounced)|"
    r"(?:user|mailbox|recipient|address) (?:unknown|not found|unavailable|does not exist|"
    r"doesn't exist)|no such (?:user|mailbox|recipient|address)|unknown (?:user|recipient)|"
    r"not a valid (?:user|mailbox|recipient|address)|invalid (?:recipient|mailbox|address)|"
    r"rcpt to|diagnostic-code|final-recipient|remote-mta|reporting-mta|"
    r"\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b|\b5[05]\d\b.{0,80}(?:user|mailbox|recipient|"
    r"address|spam|rejected|denied|refused)|"
    r"over quota|quota exceeded|mailbox (?:is )?full|"
    r"this is (?:just )?a warning|still (?:trying|being retried)|has not (?:yet )?been delivered|"
    r"will (?:continue|keep) (?:to try|trying)|delivery (?:is )?delayed|"
    r"the following (?:addresses|recipients?) (?:had|failed)|returned mail|"
    r"message could not be delivered|this message was created automatically by mail delivery",
    re.IGNORECASE,
)
# where the returned original starts inside a report's text
ORIGINAL_STARTS = re.compile(
    r"^(?:-+\s*(?:original message|this is a copy|below this line|a copy of|undelivered message"
    r"|returned message|the (?:original|header)|message text follows|start of (?:returned|"
    r"original))|original message follows|--- ?the header of the original|"
    r"the first \d+ lines of your original message follow|"
    r"(?:return-path|received|message-id): )",
    re.IGNORECASE | re.MULTILINE,
)

# a challenge/response filter holding the message until the sender confirms: the
# person exists, nothing failed (read as an automatic reply, never a bounce)
CHALLENGE = re.compile(
    r"waitlisted|guest ?list|(?:allowed|approved|safe|trusted) (?:senders? )?list|"
    r"requires? (?:your )?confirmation|challenge[- ]response|sender verification|"
    r"verify (?:that )?you are (?:a )?(?:human|real|not a)|confirm (?:that )?you are (?:a )?"
    r"(?:human|real|not a)|added to (?:the|my) (?:\w+ ){0,2}(?:list|contacts)",
    re.IGNORECASE,
)

# --- what kind of report ----------------------------------------------------------------

DELAY = re.compile(
    r"this is (?:just )?a warning|warning message only|advisory[- ]only|"
    r"do(?:es)? not need to (?:resend|re-send)|you (?:do not|don't) need to (?:resend|re-send)|"
    r"(?:please )?do not (?:resend|re-send)|(?:attempts|delivery|we) will continue|"
    r"no action is required|still (?:trying|being retried|in the queue)|"
    r"will (?:continue|keep) (?:to try|trying|attempting)|(?:will|we'll) (?:retry|try again)|"
    r"not yet been delivered|delivery (?:is |has been )?"
    r"(?:delayed|postponed|deferred)|(?:has been|was) (?:delayed|postponed|deferred)|"
    r"delayed (?:mail|delivery)|delivery delay|warning: could not send|"
    r"will be retried|retrying (?:for|until)|(?:for|within) the next \d+ (?:hours|days)",
    re.IGNORECASE,
)
GAVE_UP = re.compile(
    r"gave up|giving up|(?:could not|couldn't|unable to) (?:be )?deliver\w* (?:for|within|in) "
    r"(?:the (?:last|past) )?\d+ (?:days|hours)|(?:been|was) (?:in the queue|queued) too long|"
    r"(?:delivery |retry )?time(?:out)? (?:has )?expired|message expired|expired after|"
    r"too many (?:retries|attempts)|maximum (?:retries|time)|retry timeout exceeded|"
    r"could not be delivered after|no (?:successful )?delivery (?:within|for)|"
    r"not (?:be )?delivered within \d+|queue period|is not responding|not reachable|"
    r"failed (?:after )?\d+ (?:attempts|tries)|after \d+ (?:attempts|retries|tries)|"
    r"(?:have|has) been failing|failing for a long time",
    re.IGNORECASE,
)
DELIVERED = re.compile(
    r"\bsuccess(?:ful(?:ly)?)?\b|(?<!not )(?<!never )(?:has|have) been delivered to|"
    r"(?<!not )was delivered to (?:the )?(?:following|recipient|mailbox)",
    re.IGNORECASE,
)

# reason patterns: (class, reason, pattern) — the first that matches wins
REASONS: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "soft_bounce",
        "mailbox full or over quota",
        re.compile(
            r"quota|(?:mail ?box|mail ?folder|in ?box|postbox) (?:is )?(?:currently )?(?:full|"
            r"over(?:flowing)?)|(?:mail ?box|folder|inbox|storage)\W+(?:\w+\W+){0,3}?"
            r"(?:exceed|exceeds|exceeded)|space not enough|not enough (?:\w+ )?space|"
            r"exceeds? (?:the )?(?:allowed|maximum|max|its|permitted)? ?(?:size|limit|storage)|"
            r"mail ?box (?:size|storage|space) (?:limit )?"
            r"(?:exceeded|reached)|(?:exceed|exceeded|exceeds|over) (?:its|the|his|her|their|"
            r"his/her|your)?\s*(?:storage|disk|size|space|mailbox|allotted|maximum)|"
            r"insufficient (?:system )?(?:storage|disk|space)|too many (?:messages|mails)|"
            r"zu ?viele mails|postfach (?:ist )?voll|boîte (?:aux lettres )?pleine|"
            r"storage (?:limit|allocation)|out of (?:disk|storage) space|disk (?:space|full)|"
            r"(?:mailbox|inbox) has exceeded|not enough (?:space|storage)|"
            r"message (?:size|too large|is too big)|(?:max(?:imum)?|size) (?:message )?size "
            r"(?:limit )?exceeded|size limit|exceeds (?:the )?(?:maximum|size)",
            re.IGNORECASE,
        ),
    ),
    (
        "policy_block",
        "refused as spam, by a block list or by policy",
        re.compile(
            r"spam|junk ?mail|unsolicited|\bubce?\b|bulk (?:mail|e-?mail)|black ?list|"
            r"block ?list|\b(?:dns)?rbl\b|dnsbl|spamcop|spamhaus|sorbs|barracuda|"
            r"blocked (?:using|by|due|because|for)|(?:ip|host|sender|domain|"
            r"message|mail|connection|client) (?:is |was |has been )?(?:blocked|blacklisted|"
            r"banned)|(?<!not )listed (?:at|in|on|by) (?:[\w-]+\.)+[a-z]{2,}|"
            r"reputation|\bspf\b|\bdkim\b|\bdmarc\b|"
            r"not (?:allowed|authori[sz]ed|permitted) to send|sender (?:address )?(?:rejected|"
            r"denied|blocked|refused)|not accepting (?:mail|messages|e-?mail) from|"
            r"(?:refused|rejected|denied) (?:by|due to|because of) (?:the )?(?:policy|security|"
            r"content)|(?:security|content|anti-?virus|mail) polic(?:y|ies)|"
            r"policy (?:violation|reasons?|rejection|restrictions)|content (?:filter|rejected)|"
            r"(?:contains?|infected|detected|found)(?: with)? (?:a |an )?(?:virus|malware)|"
            r"virus (?:found|detected)|phishing|(?:message|mail) (?:looks|appears) (?:like|to "
            r"be)|scored? [\d.]+ (?:spam )?points|administratively (?:denied|prohibited)",
            re.IGNORECASE,
        ),
    ),
    (
        "soft_bounce",
        "the server gave up after retrying",
        GAVE_UP,
    ),
    (
        "bounce",
        "the address does not exist or does not take mail",
        re.compile(
            r"user unknown|unknown (?:user|recipient|address|mailbox|local[- ]part)|"
            r"no such (?:user|mailbox|recipient|address|account|person|local user|domain)|"
            r"(?:user|mailbox|recipient|address|account|addressee|e-?mail address)"
            r"(?:\s+(?!server|host|system|domain|mta)\S+){0,3}?\s+(?:does not exist|doesn't exist|did not exist|not found|"
            r"is unknown|unknown|unavailable|is not valid|invalid|disabled|deactivated|"
            r"inactive|closed|suspended|is no longer|no longer (?:exists|active|valid)|"
            r"has been (?:disabled|deleted|removed|terminated)|not (?:listed|recognized|"
            r"available))|not a valid (?:user|mailbox|recipient|address)|isn't a valid|"
            r"invalid (?:recipient|address|mailbox|user)|bad (?:destination|address|recipient)|"
            r"unroutable|unrouteable|host (?:not found|unknown)|domain (?:not found|does not "
            r"exist|unknown)|no (?:mx|mail exchanger|valid mx)|name service error|"
            r"(?:mailbox|recipient) (?:not available|unavailable)|no mailbox|not our customer|"
            r"(?:address|recipient) rejected|rejected recipient|"
            r"no longer (?:with|employed|works)|has left|ist nicht mehr|not listed in|"
            r"not (?:found )?in (?:the )?(?:\w+ )?directory|no matches to|"
            r"(?:does not|doesn't) have a (?:final )?(?:e-?mail )?delivery point|"
            r"unbekannt|inexistant|introuvable|no existe|non esiste|onbekend",
            re.IGNORECASE,
        ),
    ),
]

# said only when nothing more specific is: a temporary condition
TEMPORARY = re.compile(
    r"temporar(?:y|ily)|try (?:again )?later|(?:service|system|server) (?:is )?(?:temporarily )?"
    r"(?:unavailable|busy|overloaded)|connection (?:refused|timed out|reset|lost)|timed out|"
    r"host (?:is )?unreachable|network is unreachable|deferred|resources temporarily|"
    r"too many (?:connections|concurrent)|greylist",
    re.IGNORECASE,
)

# an enhanced status code, not a version number: class 2/4/5, then subject and detail
STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_REPLY = re.compile(r"(?<![\d.])([45])([0-5])(\d)(?=[ -][^\d])")


def status_class(status: str | None) -> str | None:
    """The class a status code gives, or None when it says nothing specific (X.0.0 and
    the catch-alls): then the text decides."""
    if status is None:
        return None
    klass, subject, detail = status.split(".")
    if klass == "2":
        return "delivery_report"
    if klass == "4":
        return "soft_bounce"
    if subject == "0" or (subject, detail) in (("3", "0"), ("5", "0"), ("6", "0")):
        return None
    if subject == "7":
        return "policy_block"
    if subject == "2":
        return "bounce" if detail == "1" else "soft_bounce"  # 5.2.1 mailbox disabled
    if (subject, detail) in (("4", "7"), ("4", "6")):
        return "soft_bounce"  # delivery time expired, routing loop
    if subject in ("1", "4"):
        return "bounce"
    if subject == "3" and detail == "4":
        return "soft_bounce"  # message too big for the system
    return None
