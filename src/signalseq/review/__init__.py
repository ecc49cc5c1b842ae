"""The review queue: which drafts need a person (``review/policy.yaml``), the items they
work (claim, approve, edit & approve, reject), and the append-only audit log."""
