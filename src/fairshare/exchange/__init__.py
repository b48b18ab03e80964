"""Data exchange between governments: agreements, import schema, pseudonyms, export, retention.

Everything here is pure (files in, typed values out) except the key files of
:mod:`fairshare.exchange.pseudonym`, which live outside the database on purpose.
"""
