"""The workspace: user files (rules, prompts, connectors, review policy), strictly loaded."""
