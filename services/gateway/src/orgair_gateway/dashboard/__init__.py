"""The analyst dashboard: server-rendered pages on the gateway, under `/dashboard`.

Funds, companies, the review queue, fund scoring jobs and parameter profiles, for
people rather than programs. The gateway serves them because it already owns the
public port, the API keys, the roles and the rate limits; every page gets its data
from scoring's API as the signed-in key (`orgair_gateway.upstream_client`), so it
shows exactly what the API would answer to that key and holds none of the business
rules itself.

HTML from Jinja2 templates, charts as inline SVG drawn here, one stylesheet and one
script served from this package: no build step, no CDN, nothing inline for the
Content-Security-Policy to allow. `mount.mount_dashboard` adds it to the gateway app.
"""
