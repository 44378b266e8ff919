"""Statistics: GLOTIP- and SDG 16.2.2-aligned tables and rates, and what each reader may see of them.

So far only the pure core: ``disclosure`` (no Django) decides, for each access tier, which cells of
a table of counts or money amounts are published, rounded, pooled or hidden, and audits that no
hidden cell can be recovered from what is published. The rules, their sources and the audit's
limits are in docs/disclosure-control.md.
"""
