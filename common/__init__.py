"""What the diary, venues and feeds apps share: small helpers, an abstract model (names in
every language), no tables and no views.

Each app imports from here rather than from another app's admin, views or cache modules.
"""
