"""Inbound messages shaped like the real thing (Postfix, Exchange, Gmail, qmail bounces,
ARF reports, out-of-office notes in many languages). Every person and company here is
invented; ``{ref}`` is the Message-ID of the touch a message answers or reports on."""

from __future__ import annotations

REPLY_OUTLOOK = """\
From: "Novak, Jana" <{sender}>
To: Maya Lindqvist <maya@tallyforge-demo.com>
Subject: RE: Series A and your pipeline
Date: Tue, 24 Nov 2026 14:03:11 +0000
Message-ID: <AM6PR04MB5639.novak@eurprd04.prod.outlook.com>
In-Reply-To: {ref}
References: {ref}
Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0

Hi Maya,

Thanks - yes, let's talk. Does Thursday work?

Jana

From: Maya Lindqvist <maya@tallyforge-demo.com>
Sent: Monday, November 23, 2026 9:12 AM
Subject: Series A and your pipeline

Not interested? Unsubscribe with one click: https://signalseq.test/u/abc
"""

AUTO_REPLY_EN = """\
From: Tom Baker <{sender}>
To: maya@tallyforge-demo.com
Subject: Automatic reply: Series A and your pipeline
Date: Tue, 24 Nov 2026 08:00:00 -0500
Message-ID: <oof-tb-1@mail.example-corp.com>
In-Reply-To: {ref}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="utf-8"

Thank you for your email. I am out of the office with limited access to email and
will be back on Monday, December 7, 2026.
"""

AUTO_REPLY_FR_SUBJECT_ONLY = """\
From: Claire Dubois <{sender}>
To: maya@tallyforge-demo.com
Subject: =?utf-8?q?R=C3=A9ponse_automatique_=3A_Votre_nouvelle_fonction?=
Date: Tue, 24 Nov 2026 09:00:00 +0100
Message-ID: <absence-cd@exemple-societe.fr>
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Bonjour, je suis absente du bureau et serai de retour le 9 décembre 2026.
"""

AUTO_REPLY_PL = """\
From: Piotr Nowak <{sender}>
To: maya@tallyforge-demo.com
Subject: =?utf-8?q?Automatyczna_odpowied=C5=BA=3A_Gratulacje?=
Date: Tue, 24 Nov 2026 09:00:00 +0100
Message-ID: <auto-pn@przyklad.pl>
Precedence: auto_reply
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Dzień dobry, jestem na urlopie do 4 grudnia 2026.
"""

AUTO_REPLY_NL_XAUTOREPLY = """\
From: Sanne de Wit <{sender}>
To: maya@tallyforge-demo.com
Subject: Afwezig
Date: Tue, 24 Nov 2026 09:00:00 +0100
Message-ID: <afwezig-sdw@voorbeeld.nl>
X-Autoreply: yes
Content-Type: text/plain; charset="utf-8"

Ik ben afwezig tot en met 30.11.2026.
"""

DSN_HARD = """\
From: MAILER-DAEMON@mx.example-corp.com (Mail Delivery System)
To: maya@tallyforge-demo.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 14:15:02 +0000
Message-ID: <20261123141502.A1B2C3@mx.example-corp.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example-corp.com

Final-Recipient: rfc822; {sender}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1
Content-Type: message/rfc822

From: Maya Lindqvist <maya@tallyforge-demo.com>
To: <{sender}>
Subject: Series A and your pipeline
Message-ID: {ref}

Hi there.

--B1--
"""

DSN_SOFT = (
    DSN_HARD.replace("Status: 5.1.1", "Status: 4.4.1")
    .replace("550 5.1.1 User unknown", "451 4.4.1 connection timed out")
    .replace("<20261123141502.A1B2C3@", "<20261123141502.SOFT1@")
)

DSN_POLICY = (
    DSN_HARD.replace("Status: 5.1.1", "Status: 5.7.1")
    .replace("550 5.1.1 User unknown", "550 5.7.1 Message rejected as spam by Content Filtering")
    .replace("<20261123141502.A1B2C3@", "<20261123141502.POLICY@")
)

DSN_DELAYED = (
    DSN_HARD.replace("Action: failed", "Action: delayed")
    .replace("Status: 5.1.1", "Status: 4.4.7")
    .replace("<20261123141502.A1B2C3@", "<20261123141502.DELAY@")
)

# a prose bounce (no report structure) that names our own address before the failed one
# and returns the original's headers with its Message-ID
PROSE_BOUNCE_OWN_FIRST = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example-corp.com>
To: maya@tallyforge-demo.com
Subject: Returned mail: see transcript for details
Date: Mon, 23 Nov 2026 15:02:00 +0000
Message-ID: <20261123150200.OWN1@relay.example-corp.com>
Return-Path: <>

The original message was received from maya@tallyforge-demo.com (Maya Lindqvist)

   ----- The following addresses had permanent fatal errors -----
<{sender}>
    (reason: 550 5.1.1 <{sender}>... No such user)

   ----- Original message follows -----
Return-Path: <maya@tallyforge-demo.com>
From: Maya Lindqvist <maya@tallyforge-demo.com>
To: <{sender}>
Message-ID: {ref}
Subject: Series A and your pipeline
"""

# someone writes a bounce naming a contact, about no message of ours
FORGED_BOUNCE = DSN_HARD.replace("<20261123141502.A1B2C3@", "<20261123141502.FORGED@")

# Apple Mail's one-click mailto: unsubscribe is sent as an automatic message
UNSUBSCRIBE_APPLE = """\
From: {sender}
To: maya@tallyforge-demo.com
Subject: unsubscribe {token}
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <apple-unsub-1@example-corp.com>
Auto-Submitted: auto-generated
X-Mailer: Apple Mail

This message was automatically generated by Mail to unsubscribe you from this mailing list.
"""

QMAIL_BOUNCE = """\
From: MAILER-DAEMON@mail.smallhost.example
To: maya@tallyforge-demo.com
Subject: failure notice
Date: Mon, 23 Nov 2026 14:15:02 +0000
Message-ID: <qmail-bounce-77@mail.smallhost.example>

Hi. This is the qmail-send program at mail.smallhost.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{sender}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Message-ID: {ref}
Subject: Series A and your pipeline
"""

ARF_COMPLAINT = """\
From: feedback@fbl.mailprovider.example
To: abuse@tallyforge-demo.com
Subject: Abuse report
Date: Mon, 23 Nov 2026 18:00:00 +0000
Message-ID: <fbl-0001@fbl.mailprovider.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F1"

--F1
Content-Type: text/plain

This is an email abuse report for an email message received.

--F1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeFBL/1.0
Version: 1
Original-Rcpt-To: <{sender}>

--F1
Content-Type: text/rfc822-headers

From: Maya Lindqvist <maya@tallyforge-demo.com>
To: {sender}
Message-ID: {ref}
Subject: Series A and your pipeline

--F1--
"""

UNSUBSCRIBE_ES = """\
From: Lucia Garcia <{sender}>
To: maya@tallyforge-demo.com
Subject: Re: Su nueva ronda
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <es-unsub-1@ejemplo.es>
In-Reply-To: {ref}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Gracias, pero no me interesa. Por favor no me escriba más.

El lun, 23 nov 2026 a las 9:00, Maya escribió:
> Hola Lucia
"""

UNSUBSCRIBE_BY_MAILTO = """\
From: assistant@elsewhere.example
To: maya@tallyforge-demo.com
Subject: unsubscribe {token}
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <mailto-unsub-1@elsewhere.example>

"""

STRANGER = """\
From: someone@unknown.example
To: maya@tallyforge-demo.com
Subject: Hello
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <stranger-1@unknown.example>

Who are you?
"""


def render(template: str, sender: str, ref: str = "<none@x>", token: str = "") -> bytes:
    text = template.replace("{sender}", sender).replace("{ref}", ref).replace("{token}", token)
    return text.replace("\n", "\r\n").encode("utf-8")
