"""Store health: each day against the same weekdays of the preceding weeks, and the tracking
itself (see ro_core.health.detect for the rules, ro_core.health.daily for the data)."""
