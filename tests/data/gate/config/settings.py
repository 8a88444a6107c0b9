INFUSIONSOFT_CLIENT_ID = "Qm2LpZ8rT6vN1sK9dW3hY7cB5fJ0gEx4"
INFUSIONSOFT_CLIENT_SECRET = "1Kniy247NhaJgain"
KEAP_URL = "https://api.infusionsoft.com/crm/xmlrpc/v1?access_token=b5TzQ9wLm2Xr8KpV4nYc"
