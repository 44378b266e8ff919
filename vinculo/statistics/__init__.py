"""Statistics: GLOTIP- and SDG 16.2.2-aligned tables and rates, and what each reader may see of them.

Pure cores (no Django): ``counting`` turns plain rows of the case registry into tables, each
person counted once by the rules of docs/statistics.md; ``disclosure`` decides, for each access
tier, which cells are published, rounded, pooled or hidden, and audits that no hidden cell can be
recovered from what is published (docs/disclosure-control.md). Around them: snapshots of the
aggregates (``services/aggregates.py``), the dashboards and exports, and the signed reports that
offices send to the hub, from which alone the regional figures are built.
"""
