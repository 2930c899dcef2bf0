"""Ranking-quality metrics (pure Python + numpy): hit@k, MRR, nDCG@k over graded judgements."""
