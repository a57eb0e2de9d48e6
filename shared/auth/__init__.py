"""Who is calling (token verification, profile lookup) and what they may do (the policy table)."""
