<?php
// Talks to Keap through the old iSDK-style client.
define('INFUSIONSOFT_API_KEY', '0362152e588205244154eb05265d45a4');

$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');
$msg = new xmlrpcmsg('ContactService.add', array(
    php_xmlrpc_encode(INFUSIONSOFT_API_KEY),
    php_xmlrpc_encode(array('FirstName' => 'Ada')),
));
$client->send($msg);
