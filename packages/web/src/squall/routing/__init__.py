"""squall.routing: compose routers.

A router is an `~squall.httputil.HTTPServerConnectionDelegate` that picks,
for each request, the delegate that serves it. `RuleRouter` tries `Rule`
objects in order; each pairs a `Matcher` with a target (an application,
another router, a WSGI container, a plain callable, or a nested list of
rules)::

    from squall.httpserver import HTTPServer
    from squall.routing import HostMatches, PathMatches, Rule, RuleRouter

    router = RuleRouter([
        Rule(PathMatches(r"/api/.*"), api_app),
        Rule(HostMatches(r"admin\\.example\\.com"), admin_app),
        (r"/.*", main_app),
    ])
    HTTPServer(router).listen(8888)

`squall.web.Application` accepts the same `Rule` objects in its handler list.
"""

from ._matchers import AnyMatches as AnyMatches
from ._matchers import DefaultHostMatches as DefaultHostMatches
from ._matchers import HostMatches as HostMatches
from ._matchers import Matcher as Matcher
from ._matchers import PathMatches as PathMatches
from ._router import ReversibleRouter as ReversibleRouter
from ._router import ReversibleRuleRouter as ReversibleRuleRouter
from ._router import Router as Router
from ._router import RuleRouter as RuleRouter
from ._rule import Rule as Rule
from ._urlspec import URLSpec as URLSpec

__all__ = [
    "AnyMatches",
    "DefaultHostMatches",
    "HostMatches",
    "Matcher",
    "PathMatches",
    "ReversibleRouter",
    "ReversibleRuleRouter",
    "Router",
    "Rule",
    "RuleRouter",
    "URLSpec",
]
