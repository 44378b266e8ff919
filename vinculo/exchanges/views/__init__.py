"""HTML views of the exchanges between offices, one module per kind of exchange.

``requests``: information requests and the focal point's desk; ``broadcasts``: spontaneous
information and alerts; ``received``: filing a received item into a case and asking its provider
for consent; ``consents``: the consent requests asked and received; ``teams``: joint teams.
"""
