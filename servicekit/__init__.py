"""What every mock server shares: problem documents and their per-server catalogues
(`problems`), the base application with its admin sub-app, request history and body limits
(`webapp`), fault plans (`faults`), and one way to read settings from the environment (`env`).

The mock servers (`mock_issuers`, `mock_intune`, `mock_rp`) and the lab may import this package;
the agent never does (the client half of problem documents, `RemoteProblem`, is in
`trust_store.problems`). It imports nothing but `trust_store`.
"""
