// Posts the hand-written XML body to the legacy endpoint.
fetch('https://ab123.infusionsoft.com/api/xmlrpc', { method: 'POST', body: xml });
