"""Detectors: each reads a Document and adds named signals to its blocks; none deletes anything.

Signals written (the contract with the rule engine, which knows them by name only):

- density: ``words``, ``chars``, ``position``, ``punct_ratio``, ``stopword_ratio``
- repeats: ``repeat_group``, ``repeat_size``, ``repeat_first``, ``title_similarity``,
  ``title_containment``, ``repeat_of_title``, ``is_title``
- widgets: ``widget``, ``widget_score``, ``lexicon_hits``, ``share_links``
- site: ``site_frequency``
"""
