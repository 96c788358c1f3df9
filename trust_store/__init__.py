"""Shared x509 vocabulary, the lab PKI, emulated certificate stores and secrets.

Every other package may import this one; it imports none of them.
"""
