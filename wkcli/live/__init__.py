"""Live tools: capture webhooks from a running WuKongIM, follow a growing dump, replay a dump."""
