"""The determination's legal life (order 146): each party confirms the report, the decision
is delivered (送达) and signed or refused, a party may apply once for review (复核), and
liability becomes final when every window lapsed, every party waived or the review upheld it.
"""
