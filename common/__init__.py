"""What the diary, venues and feeds apps share: small helpers, no models and no views.

Each app imports from here rather than from another app's admin, views or cache modules.
"""
