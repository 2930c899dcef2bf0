"""The match runtime: everything between stored records and a ranked, explained list.

``embedding`` turns texts into vectors (encoders, chunking, the stored-embedding cache), ``codebook``
turns rows into the integer codes and arrays the pure core (``broker.matching``) scores, ``catalog``
keeps the catalogue generation that every write advances (one flush hook), ``engine`` holds the
in-memory indexes and keeps them in step with the database, and ``service`` is what the API, the
workspace, the CLI and the evaluation call to get ranked lists.
"""
