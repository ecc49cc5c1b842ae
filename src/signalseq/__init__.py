"""signalseq: enroll prospects into outreach sequences only when they show buying intent."""

__version__ = "0.1.0"
