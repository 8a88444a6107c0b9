"""Stand-in for Keap's official Python library (infusionsoft/Official-API-Python-Library,
infusionsoft/library.py), which no registry here serves: the same public behaviour (`client`,
`client.error`, `key`, the `__getattr__` dispatcher that sends `key` first), written for the
end-to-end tests. One difference: KEAP_STAND_IN_HOST, when set, replaces the per-app host, so a
legacy run reaches the loopback mock."""
import os

try:
    from xmlrpclib import ServerProxy, Error
except ImportError:
    from xmlrpc.client import ServerProxy, Error


class Infusionsoft(object):
    base_uri = 'https://%s.infusionsoft.com/api/xmlrpc'

    def __init__(self, name, api_key, use_datetime=False):
        uri = self.base_uri % name
        host = os.environ.get("KEAP_STAND_IN_HOST")
        if host:
            uri = "https://%s/api/xmlrpc" % host
        self.client = ServerProxy(uri, use_datetime=use_datetime)
        self.client.error = Error
        self.key = api_key

    def __getattr__(self, service):
        def function(method, *args):
            call = getattr(self.client, service + '.' + method)
            try:
                return call(self.key, *args)
            except self.client.error as v:
                return "ERROR", v
        return function

    def server(self):
        return self.client
