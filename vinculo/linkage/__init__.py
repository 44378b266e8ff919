"""The matching engine: "does any office know this person?" without revealing anyone.

A pure Python package (no Django): the hit/no-hit service calls it. Its parts:

- ``record``: a person as an office's records hold them (``RawPerson``) and as the engine reads
  them after normalisation (``PersonRecord``), with every problem found in the input;
- ``names``, ``dates``, ``identifiers``: normalisation of Hispanic names, birth dates with their
  precision, and identifiers per country (phones, documents with check digits, plates, e-mail
  addresses, social-media handles);
- ``encoding``, ``compare``, ``classify``: keyed, hardened Bloom-filter encodings and keyed
  tokens, vectorised Dice comparison and blocking, and the hit / possible / no-hit decision;
- ``synthetic``: the deterministic benchmark population and its corruption model.
"""
