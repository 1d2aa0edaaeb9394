"""The diary's REST API (/api/v1/): read-only for everyone, writes for organisers' tokens.

One concern per module: `access` (who may call, how often: DRF's settings load it early, so
it imports no views), `schema` (the OpenAPI prose and examples), `filtering` (the agenda's one
FilterSet as a DRF backend), `serializers`, `sync` (delta sync from the change journal),
`views` (the viewsets), `venues` (venues and areas) and `urls` (the routes, under
common.http.API_PREFIX). Writes go through the diary's services, like every other door.
"""
