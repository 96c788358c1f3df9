"""Mock derived-credential issuers (Entrust, Intercede) and the agency's PIV card authority.

Servers (see docs/protocol.md for the wire protocol):

- `mock_issuers.card_authority`: the PIV card management system: issues cards from
  `pki.piv.issuing`, escrows key-management keys, answers OCSP/CRL for the cards.
- `mock_issuers.issuer_app`: any registered issuer (`ISSUERS`: "entrust", "intercede"): portal
  sign-in with the card (mutual TLS + OCSP), QR enrollments, device activation, EST
  simpleenroll, key history, OCSP/CRL for the derived certificates.

Building and starting them (what `lab/` does)::

    from mock_issuers import card_authority, issuer_app, serving
    from mock_issuers.settings import CardAuthoritySettings, IssuerSettings

    ca_settings = CardAuthoritySettings(escrow_clients=frozenset({"entrust"}))
    ca_app = card_authority.create_app(ca_settings, pki, clock, rand)
    ca_runner, ca_url = await serving.serve(ca_app, card_authority.server_ssl_context(pki))

    settings = IssuerSettings(card_authority_url=ca_settings.public_url)
    app = issuer_app.create_app("entrust", settings, pki, clock, rand)
    runner, url = await serving.serve(app, issuer_app.server_ssl_context(pki, "entrust"))

`serving.serve` binds 127.0.0.1 on a free port and sets the public URL itself. With your own
`AppRunner` + `TCPSite`, set it after binding::

    serving.public_url_of(app).set(f"https://127.0.0.1:{port}")   # same object as
    settings.public_url.set(...)                                    # the settings' holder

Handlers read the public URL at request time (it goes into the AIA/CRL pointers of every
certificate they issue), so it only has to be set before the first request.

Approximations: the vendors' device protocols are not public; dcemu's own (docs/protocol.md)
stand in for them. Earlier key-management certificates are backdated by 180 days each
(`CardAuthoritySettings.key_history_spacing`) by signing through a clock-shifted view of the card
CA. State lives in the storage each factory is given (`storage=`: memory when None, SQLite
under `dcemu serve`), committed before each answer; `/admin/reset` clears it (see README.md,
"State that survives").
"""
