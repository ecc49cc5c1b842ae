"""Word lists the grounding check reads: words that are not names, business
abbreviations, brands, and the words that carry no content."""

from __future__ import annotations

# capitalised words that are not invented names: days, months, titles, departments,
# business abbreviations, currency codes, greetings
GENERIC = frozenset((
    "abm", "account", "acv", "ae", "aes", "ai", "am", "amer", "analytics", "anz", "apac",
    "api", "apis", "apr", "april", "arr", "asap", "aud", "aug", "august", "avp", "b2b",
    "b2b2c", "b2c", "bdr", "bdrs", "best", "cac", "cad", "ceo", "cfo", "cheers", "chf",
    "chief", "chro", "cio", "ciso", "cmo", "co-founder", "cofounder", "coo", "cpo", "crm",
    "crms", "cro", "csm", "csms", "cto", "customer", "dach", "data", "dear", "dec",
    "december", "design", "devops", "director", "emea", "engineering", "erp", "eta", "eu",
    "eur", "evp", "executive", "faq", "feb", "february", "finance", "finops", "founder",
    "friday", "fw", "fwd", "fy", "fyi", "gbp", "general", "global", "gm", "gmbh", "growth",
    "grr", "gtm", "h1", "h2", "head", "hello", "here's", "hey", "hi", "hr", "i", "i'd",
    "i'll", "i'm", "i've", "icp", "icps", "inc", "inr", "it", "it's", "jan", "january",
    "jpy", "jul", "july", "jun", "june", "kind", "kpi", "kpis", "latam", "lead", "legal",
    "let's", "linkedin", "llc", "llm", "ltd", "ltv", "manager", "mar", "march", "marketing",
    "marketingops", "may", "md", "ml", "monday", "mql", "mqls", "mrr", "na", "nda",
    "nordics", "nov", "november", "nrr", "oct", "october", "officer", "ok", "okr", "okrs",
    "operations", "ops", "p&l", "p.s", "paas", "partner", "partnerships", "people", "plc",
    "poc", "pov", "ppc", "pr", "pre-seed", "president", "principal", "procurement",
    "product", "ps", "q1", "q2", "q3", "q4", "qbr", "qbrs", "re", "recruiting", "regards",
    "regional", "revenue", "revops", "rfi", "rfp", "roi", "rs", "saas", "sales", "salesops",
    "saturday", "sdk", "sdr", "sdrs", "secops", "security", "seed", "sek", "sem", "senior",
    "seo", "sep", "sept", "september", "series", "sgd", "sincerely", "sla", "slas", "sql",
    "sqls", "staff", "success", "sunday", "support", "svp", "talent", "tcv", "thank",
    "thanks", "that's", "there's", "thursday", "tl;dr", "tuesday", "u.s", "ui", "uk", "us",
    "usa", "usd", "ux", "vice", "vp", "warm", "we", "we'd", "we'll", "we're", "we've",
    "wednesday", "what's", "you", "you'd", "you'll", "you're", "you've"
))  # fmt: skip


# words a sentence often opens with
OPENERS = frozenset((
    "after", "also", "and", "as", "at", "before", "but", "congrats", "congratulations",
    "curious", "dear", "following", "for", "fwd", "given", "glad", "great", "happy",
    "hello", "hey", "hi", "if", "in", "just", "like", "loved", "nice", "noticed", "on",
    "once", "one", "p.s", "ps", "quick", "re", "read", "saw", "since", "so", "thank",
    "thanks", "welcome", "when", "while", "with"
))  # fmt: skip


# well-known brands: a draft may not name one the facts do not (in lower case too)
BRANDS = frozenset((
    "6sense", "amazon", "amplitude", "anthropic", "apollo.io", "apple", "asana",
    "atlassian", "aws", "azure", "bombora", "calendly", "chatgpt", "claude", "clay.com",
    "clearbit", "commonroom", "copilot", "databricks", "demandbase", "dynamics",
    "freshsales", "freshworks", "g2", "gcp", "gemini", "gmail", "gong", "google", "hubspot",
    "intercom", "jira", "klaviyo", "linkedin-sales-navigator", "looker", "lusha",
    "mailchimp", "mailgun", "marketo", "microsoft", "mixpanel", "monday.com", "netsuite",
    "notion", "okta", "openai", "oracle", "outlook", "outreach.io", "pardot", "pipedrive",
    "salesforce", "salesloft", "sap", "seamless.ai", "segment.com", "sendgrid", "shopify",
    "slack", "snowflake", "square", "stripe", "tableau", "twilio", "unify", "workday",
    "zendesk", "zoom", "zoominfo"
))  # fmt: skip


# words that carry no content (left out of overlaps)
STOP = frozenset((
    "a", "about", "after", "again", "all", "almost", "also", "an", "and", "any", "are",
    "around", "as", "at", "be", "been", "before", "being", "both", "but", "by", "can",
    "client", "clients", "companies", "company", "could", "customer", "customers", "did",
    "do", "does", "done", "down", "each", "every", "few", "fewer", "first", "for", "from",
    "had", "has", "have", "he", "help", "her", "here", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "just", "last", "less", "like", "make", "many", "may", "me",
    "might", "more", "most", "much", "must", "my", "nearly", "new", "next", "no", "not",
    "of", "off", "on", "once", "one", "only", "or", "other", "our", "out", "over", "own",
    "people", "per", "roughly", "same", "she", "should", "so", "some", "such", "team",
    "teams", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "two", "under", "up", "us", "very", "via", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "work",
    "would", "you", "your", "yours"
))  # fmt: skip


# everyday business words newer than the word lists
MODERN = frozenset((
    "app", "apps", "blog", "chatbot", "checklist", "congrats", "cross-sell", "ebook",
    "email", "emails", "inbound", "inbox", "offboarding", "onboarding", "online",
    "outbound", "payback", "podcast", "rollout", "scaleup", "signup", "startup", "template",
    "upsell", "voicemail", "webinar", "website", "websites", "workflow"
))  # fmt: skip


# where a reader finds what we publish: with a website in the sender profile, "the
# write-up is on our site" points at it rather than claiming a capability (the links
# check keeps the address itself on the allow-list)
RESOURCES = "site website page blog article case study story guide overview summary"
