"""Shingles, MinHash signatures and LSH banding shared by the detectors and dedup."""
