import xmlrpc.client

# keap-migrate: ignore[legacy-endpoint]
URL = "https://xy987.infusionsoft.com/api/xmlrpc"
server = xmlrpc.client.ServerProxy(URL)
# keap-migrate: ignore
server.DataService.echo("hello")
