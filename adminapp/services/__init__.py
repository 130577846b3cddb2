"""Domain services: every workflow and state transition, shared by views, CLI and tests.

A service takes domain objects, an explicit `actor` and keyword-only options; it checks the
rule, changes state, records the audit event, queues email and flushes. The caller commits.
"""
