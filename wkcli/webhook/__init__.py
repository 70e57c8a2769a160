"""What WuKongIM means: messages and the CMD rule, payloads, recipients, presence, filters, counts, checks."""
