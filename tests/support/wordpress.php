<?php
/**
 * The part of WordPress a plugin under test runs in, for the end-to-end tests: PHP loads this
 * file before the plugin (`-d auto_prepend_file=...`), as WordPress loads its core before a
 * plugin. The plugin then runs as written: it finds ABSPATH and WPINC defined, loads the
 * XML-RPC class files itself (WordPress does not load IXR for a plugin), and does its work on
 * the `init` action, which this file fires once the plugin is loaded, in WordPress' order.
 *
 * Loaded from Debian's `wordpress` package, unmodified: the hooks API (plugin.php), functions.php
 * (and the option.php it requires), WP_Error and the HTTP API (http.php, WP_Http and the Requests
 * library it uses), exactly the files wp-settings.php loads for them. There is no database.
 *
 * Stubs, each for a function the HTTP API calls that lives in a file which needs the rest of
 * WordPress (a database, the theme, translations):
 * - get_bloginfo(): WP_Http builds its default User-Agent from 'version' and 'url' (the real
 *   one reads the site URL from the database): WordPress' version, and a made-up site URL;
 * - __(): the translation of error messages (the real one loads translation files): returns
 *   the text untranslated.
 *
 * One filter, as a site's must-use plugin would add: WP_Http hands the transport its own CA
 * bundle (`sslcertificates`, Debian's points at the system's), which overrides the bundle PHP
 * was told on its command line. The filter puts back `openssl.cafile`, so that the test trusts
 * its mock through the php command line alone, as for every other style.
 */

define( 'ABSPATH', '/usr/share/wordpress/' );
define( 'WPINC', 'wp-includes' );
// wp-settings.php reads these from version.php as globals.
require ABSPATH . WPINC . '/version.php';

require ABSPATH . WPINC . '/load.php';
require_once ABSPATH . WPINC . '/plugin.php';
require ABSPATH . WPINC . '/functions.php';
require ABSPATH . WPINC . '/class-wp-error.php';

function get_bloginfo( $show = '', $filter = 'raw' ) {
	switch ( $show ) {
		case 'version':
			return $GLOBALS['wp_version'];
		case 'url':
		case 'wpurl':
			return 'https://shop.example.org';
		case 'charset':
			return 'UTF-8';
		default:
			return '';
	}
}

function __( $text, $domain = 'default' ) {
	return $text;
}

require ABSPATH . WPINC . '/http.php';
require ABSPATH . WPINC . '/class-wp-http.php';
require ABSPATH . WPINC . '/class-wp-http-streams.php';
require ABSPATH . WPINC . '/class-wp-http-curl.php';
require ABSPATH . WPINC . '/class-wp-http-proxy.php';
require ABSPATH . WPINC . '/class-wp-http-cookie.php';
require ABSPATH . WPINC . '/class-wp-http-encoding.php';
require ABSPATH . WPINC . '/class-wp-http-response.php';
require ABSPATH . WPINC . '/class-wp-http-requests-response.php';
require ABSPATH . WPINC . '/class-wp-http-requests-hooks.php';

add_filter(
	'http_request_args',
	static function ( $args ) {
		$bundle = ini_get( 'openssl.cafile' );
		if ( $bundle ) {
			$args['sslcertificates'] = $bundle;
		}
		return $args;
	}
);

// After the plugin (the main script) is loaded: what wp-settings.php fires next.
register_shutdown_function(
	static function () {
		do_action( 'plugins_loaded' );
		do_action( 'init' );
	}
);
