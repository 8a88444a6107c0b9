#!/usr/bin/env python3
"""Generate a deterministic synthetic codebase for benchmarking `keap-migrate scan`.

    bench/gen.py TREE [--size-mb 220] [--seed 1] [--plants 50] [--clean] [--manifest FILE]

TREE gets about --size-mb MB (10^6 bytes) of ordinary PHP (classes, procedural scripts, views with
HTML), JS (modules, jQuery, minified bundles) and config files (JSON, YAML, INI, .env), sizes 1 KB
to 200 KB, plus a few binary files and one file over keap-migrate's default 8M --max-file-size.
The same seed always gives the same bytes.

Without --clean, --plants files (one plant each, never a file holding a decoy) get legacy Keap
code at known lines: per-app endpoints, keys in XML-RPC bodies, KeapAK- keys, 32-hex legacy keys,
... all made up from the seeded RNG. With --clean the tree is the same minus the plants: no Keap
code at all. Both trees hold 32-hex "MD5" decoys in unrelated code (some in files that pass the
keyword prefilter, e.g. through an unrelated `userService.list()`), which must never be flagged.

The manifest (default TREE.manifest.json, next to the tree so it is not scanned) lists the plants
with the (rule, line) of every finding they must give, the decoys, the binary / too-large / Latin-1
files, and the counts. Python 3 standard library only.
"""
import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tomllib
from pathlib import Path

GEN_VERSION = 1
MAX_FILE_SIZE = 8 << 20  # keap-migrate's default --max-file-size
HERE = Path(__file__).resolve().parent
RULES_DIR = HERE.parent / "rules"

# ---------------------------------------------------------------------------------------------
# Vocabulary. No word ends in "ke" (makeApp contains "keap"), no "service" (a `service.` call
# would hit the `Service.` keyword); check_keywords() below fails loudly if one slips through.
NOUNS = """user order invoice product cart payment customer report session account address
shipment coupon review category article comment media upload setting profile role permission
group team project task ticket message notification subscription plan price tax warehouse stock
supplier page menu widget banner newsletter campaign lead event calendar booking schedule
country region currency locale theme template layout module plugin cache queue job worker batch
export import filter sort column row record entry item note tag label status history audit log
metric chart dashboard form field option value rule policy quota limit device browser visit
""".split()
VERBS = """get set find load save update delete create build render fetch list count sync send
parse format validate normalize resolve dispatch handle process compute apply merge split map
reduce collect attach detach enable disable open close lock unlock refresh reset check
""".split()
ADJ = "active pending archived default primary recent public private draft total current".split()
VENDORS = "Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Soylent Tyrell".split()
PKGS = """http-client collections support routing validation mailer pdf-writer image-tools
money-format date-utils csv-reader markdown logger dotenv-loader uuid carbon-lite""".split()
LOREM = """lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt
ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris
nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum
fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia
deserunt mollit anim id est laborum""".split()
SQL_TYPES = "INT VARCHAR(255) TEXT DATETIME DECIMAL(10,2) TINYINT(1)".split()

# Unrelated classes whose `XService.` spelling passes the keyword prefilter without naming Keap.
# (No Keap service name: `'OrderService.x'` quoted would count as Keap context.)
INCIDENTAL_SERVICES = "User Cart Report Session Catalog Payment Mailer Billing Audit".split()


def cap(w):
    return w[:1].upper() + w[1:]


def camel(*ws):
    return ws[0] + "".join(cap(w) for w in ws[1:])


def pascal(*ws):
    return "".join(cap(w) for w in ws)


class G:
    """Per-file content generator around one seeded RNG."""

    def __init__(self, rng):
        self.r = rng

    def n(self):
        return self.r.choice(NOUNS)

    def v(self):
        return self.r.choice(VERBS)

    def words(self, lo, hi):
        return " ".join(self.r.choice(LOREM) for _ in range(self.r.randint(lo, hi)))

    def sentence(self):
        s = self.words(5, 14)
        return cap(s) + "."

    def hex32(self):
        return "%032x" % self.r.getrandbits(128)

    def num(self):
        return self.r.randint(0, 9999)

    # --- PHP -----------------------------------------------------------------------------
    def php_docblock(self, indent, params=()):
        lines = [f"{indent}/**", f"{indent} * {self.sentence()}"]
        if self.r.random() < 0.5:
            lines += [f"{indent} *", f"{indent} * {self.sentence()}"]
        if params:
            lines.append(f"{indent} *")
            for p in params:
                lines.append(f"{indent} * @param {self.r.choice(['int', 'string', 'array', 'bool'])} ${p}")
            lines.append(f"{indent} * @return {self.r.choice(['array', 'bool', 'int', 'string|null', 'void'])}")
        lines.append(f"{indent} */")
        return "\n".join(lines) + "\n"

    def php_stmt(self, i):
        r, n, v = self.r, self.n(), self.v()
        k = r.randrange(12)
        if k == 0:
            return f"{i}${n} = $this->{camel(v, n)}(${self.n()}Id);\n"
        if k == 1:
            return (f"{i}if (empty(${n}) || !is_array(${n})) {{\n"
                    f"{i}    throw new \\InvalidArgumentException('{cap(n)} must be a non-empty array, got ' . gettype(${n}));\n"
                    f"{i}}}\n")
        if k == 2:
            return (f"{i}foreach (${n}s as $idx => ${n}) {{\n"
                    f"{i}    $result[$idx] = array('id' => (int) ${n}['id'], 'name' => trim(${n}['name']), '{self.n()}' => ${n}['{self.n()}'] ?? null);\n"
                    f"{i}}}\n")
        if k == 3:
            t = n + "s"
            return (f"{i}$rows = $this->db->query(\"SELECT id, name, {self.n()}_id, created_at FROM {t} WHERE {self.n()}_id = ? AND status = '{r.choice(ADJ)}' ORDER BY created_at DESC LIMIT {r.randint(10, 500)}\", [${self.n()}Id]);\n")
        if k == 4:
            return f"{i}// {self.sentence()}\n"
        if k == 5:
            return (f"{i}${n}Total = array_sum(array_map(function ($row) {{\n"
                    f"{i}    return $row['amount'] * (1 + $row['tax_rate'] / 100);\n"
                    f"{i}}}, ${n}s));\n")
        if k == 6:
            return f"{i}$this->logger->info('{cap(v)} {n} #' . ${n}['id'] . ' in ' . round(microtime(true) - $start, 3) . 's');\n"
        if k == 7:
            return (f"{i}$config = array(\n"
                    + "".join(f"{i}    '{self.n()}_{self.n()}' => {r.choice([str(self.num()), 'true', 'false', repr(self.n())])},\n" for _ in range(r.randint(2, 6)))
                    + f"{i});\n")
        if k == 8:
            return (f"{i}try {{\n{i}    $this->{camel(v, n)}(${n});\n{i}}} catch (\\Exception $e) {{\n"
                    f"{i}    $this->logger->error($e->getMessage(), array('{n}' => ${n}));\n{i}    return false;\n{i}}}\n")
        if k == 9:
            return f"{i}${n} = isset($_POST['{n}']) ? htmlspecialchars($_POST['{n}'], ENT_QUOTES, 'UTF-8') : '';\n"
        if k == 10:
            return f"{i}$html .= '<li class=\"{n}-item\"><a href=\"/{n}s/' . (int) ${n}['id'] . '\">' . htmlspecialchars(${n}['name']) . '</a></li>';\n"
        return f"{i}return ${n};\n"

    def php_method(self):
        r = self.r
        params = [self.n() for _ in range(r.randint(0, 3))]
        name = camel(self.v(), self.n(), *([self.n()] if r.random() < 0.3 else []))
        out = self.php_docblock("    ", params)
        sig = ", ".join(f"${p}" for p in params)
        out += f"    {r.choice(['public', 'public', 'protected', 'private'])} function {name}({sig})\n    {{\n"
        for _ in range(r.randint(2, 9)):
            out += self.php_stmt("        ")
        out += f"        return ${self.n()};\n    }}\n\n"
        return out

    def php_function(self):
        r = self.r
        params = [self.n() for _ in range(r.randint(0, 3))]
        name = f"{self.v()}_{self.n()}"
        out = self.php_docblock("", params)
        out += f"function {name}(" + ", ".join(f"${p}" for p in params) + ")\n{\n"
        for _ in range(r.randint(2, 10)):
            out += self.php_stmt("    ").replace("$this->", "$GLOBALS['app']->")
        out += "}\n\n"
        return out

    def php_class_header(self, vendor, module, cls):
        uses = "".join(f"use {vendor}\\{cap(self.n())}\\{pascal(self.n(), self.r.choice(['Repository', 'Factory', 'Helper', 'Manager']))};\n"
                       for _ in range(self.r.randint(1, 5)))
        props = "".join(f"    protected ${self.n()} = {self.r.choice(['null', 'array()', '0', repr(self.n())])};\n"
                        for _ in range(self.r.randint(1, 4)))
        return (f"<?php\n/**\n * {self.sentence()}\n *\n * @package {vendor}\\{module}\n */\n\n"
                f"namespace {vendor}\\{module};\n\n{uses}\n"
                f"class {cls} extends Base{self.r.choice(['Controller', 'Model', 'Repository', 'Component'])}\n{{\n"
                f"    protected $table = '{self.n()}s';\n{props}\n")

    def php_view_block(self):
        r, n = self.r, self.n()
        k = r.randrange(4)
        if k == 0:
            return (f"<div class=\"card {n}-card\">\n  <div class=\"card-header\"><h3><?= htmlspecialchars($title) ?></h3></div>\n"
                    f"  <div class=\"card-body\">\n    <p>{self.sentence()} {self.sentence()}</p>\n  </div>\n</div>\n")
        if k == 1:
            cols = [self.n() for _ in range(r.randint(2, 6))]
            return ("<table class=\"table table-striped\">\n  <thead><tr>" + "".join(f"<th>{cap(c)}</th>" for c in cols) + "</tr></thead>\n"
                    f"  <tbody>\n  <?php foreach (${n}s as ${n}): ?>\n    <tr>"
                    + "".join(f"<td><?= htmlspecialchars(${n}['{c}']) ?></td>" for c in cols)
                    + "</tr>\n  <?php endforeach; ?>\n  </tbody>\n</table>\n")
        if k == 2:
            return (f"<?php if (!empty(${n}s)): ?>\n<ul class=\"{n}-list\">\n<?php foreach (${n}s as $i => ${n}): ?>\n"
                    f"  <li class=\"<?= $i % 2 ? 'odd' : 'even' ?>\"><a href=\"/{n}/<?= (int) ${n}['id'] ?>\"><?= ${n}['name'] ?></a></li>\n"
                    f"<?php endforeach; ?>\n</ul>\n<?php else: ?>\n<p class=\"empty\">{self.sentence()}</p>\n<?php endif; ?>\n")
        return (f"<form method=\"post\" action=\"/{n}/save\">\n"
                + "".join(f"  <label for=\"{f}\">{cap(f)}</label>\n  <input type=\"text\" id=\"{f}\" name=\"{f}\" value=\"<?= htmlspecialchars(${n}['{f}'] ?? '') ?>\">\n"
                          for f in (self.n() for _ in range(r.randint(2, 5))))
                + "  <button type=\"submit\" class=\"btn btn-primary\">Save</button>\n</form>\n")

    # --- JS ------------------------------------------------------------------------------
    def js_stmt(self, i):
        r, n, v = self.r, self.n(), self.v()
        k = r.randrange(10)
        if k == 0:
            return f"{i}const {n}s = await fetch(`/api/{n}s?page=${{page}}&limit={r.randint(10, 100)}`).then((res) => res.json());\n"
        if k == 1:
            return f"{i}if (!{n} || typeof {n}.id !== 'number') {{\n{i}  throw new TypeError('{cap(n)} expected, got ' + JSON.stringify({n}));\n{i}}}\n"
        if k == 2:
            return f"{i}const {n}Total = items.filter((x) => x.{r.choice(ADJ)}).reduce((sum, x) => sum + x.price * x.qty, 0);\n"
        if k == 3:
            return f"{i}// {self.sentence()}\n"
        if k == 4:
            return f"{i}$('#{n}-{self.n()}').on('click', function (e) {{\n{i}  e.preventDefault();\n{i}  $(this).toggleClass('is-{r.choice(ADJ)}');\n{i}}});\n"
        if k == 5:
            return f"{i}el.innerHTML = `<div class=\"{n}\"><span>${{{n}.name}}</span><small>${{{n}.{self.n()}}}</small></div>`;\n"
        if k == 6:
            return (f"{i}const options = {{\n" + "".join(f"{i}  {camel(self.n(), self.n())}: {r.choice([str(self.num()), 'true', 'false', repr(self.n())])},\n" for _ in range(r.randint(2, 6))) + f"{i}}};\n")
        if k == 7:
            return f"{i}for (const [key, value] of Object.entries({n})) {{\n{i}  params.append(key, String(value));\n{i}}}\n"
        if k == 8:
            return f"{i}console.debug('[{n}] {v}', {{ id: {n}.id, elapsed: performance.now() - start }});\n"
        return f"{i}return {n};\n"

    def js_function(self):
        r = self.r
        params = [self.n() for _ in range(r.randint(0, 3))]
        name = camel(self.v(), self.n())
        head = f"/**\n * {self.sentence()}\n */\n"
        if r.random() < 0.5:
            head += f"export async function {name}({', '.join(params)}) {{\n"
        else:
            head += f"const {name} = ({', '.join(params)}) => {{\n"
        body = "".join(self.js_stmt("  ") for _ in range(r.randint(2, 8)))
        return head + body + "}\n\n" if head.endswith(") {\n") else head + body + "};\n\n"

    def js_class(self):
        cls = pascal(self.n(), self.r.choice(["Store", "View", "Controller", "Client", "Widget"]))
        out = f"export class {cls} {{\n  constructor(options = {{}}) {{\n    this.options = {{ ...DEFAULTS, ...options }};\n  }}\n\n"
        for _ in range(self.r.randint(1, 4)):
            out += f"  {camel(self.v(), self.n())}({self.n()}) {{\n" + "".join(self.js_stmt("    ") for _ in range(self.r.randint(2, 6))) + "  }\n\n"
        return out + "}\n\n"

    # --- config ----------------------------------------------------------------------------
    def scalar(self):
        r = self.r
        return r.choice([self.num(), r.random() < 0.5, self.n(), f"{self.n()}-{self.n()}", f"/var/www/{self.n()}", r.random() * 100])

    def json_obj(self, depth=0):
        d = {}
        for _ in range(self.r.randint(2, 8)):
            k = f"{self.n()}_{self.n()}" if self.r.random() < 0.5 else camel(self.n(), self.n())
            if depth < 3 and self.r.random() < 0.3:
                d[k] = self.json_obj(depth + 1)
            elif self.r.random() < 0.15:
                d[k] = [self.scalar() for _ in range(self.r.randint(1, 5))]
            else:
                d[k] = self.scalar()
        return d

    def yaml_block(self):
        n = self.n()
        out = f"# {self.sentence()}\n{n}_{self.n()}:\n"
        for _ in range(self.r.randint(2, 8)):
            s = self.scalar()
            s = str(s).lower() if isinstance(s, bool) else s
            out += f"  {self.n()}_{self.n()}: {s}\n"
        if self.r.random() < 0.3:
            out += f"  {self.n()}s:\n" + "".join(f"    - {self.n()}\n" for _ in range(self.r.randint(1, 4)))
        return out + "\n"

    def ini_block(self):
        out = f"; {self.sentence()}\n[{self.n()}.{self.n()}]\n"
        for _ in range(self.r.randint(2, 8)):
            s = self.scalar()
            s = ("On" if s else "Off") if isinstance(s, bool) else s
            out += f"{self.n()}_{self.n()} = {s}\n"
        return out + "\n"

    def env_line(self):
        n = self.n().upper()
        return self.r.choice([
            f"{n}_HOST={self.n()}.internal\n", f"{n}_PORT={self.r.randint(1000, 9999)}\n",
            f"{n}_ENABLED={self.r.choice(['true', 'false'])}\n", f"{n}_PATH=/var/lib/{self.n()}\n",
            f"DB_{n}_NAME={self.n()}_{self.n()}\n"])

    # --- decoys: 32 hex in code that has nothing to do with Keap ------------------------------
    def decoy(self, kind):
        """(block, needle, shape) for a file kind; the needle is the hex itself."""
        h, n = self.hex32(), self.n()
        if kind == "php_class":
            shape = self.r.randrange(3)
            if shape == 0:
                return (f"    public function etagFor(${n})\n    {{\n        $etag = md5(serialize(${n}));\n"
                        f"        if ($etag === '{h}') {{\n            return null;\n        }}\n        return $etag;\n    }}\n\n", h, "md5-compare")
            if shape == 1:
                return (f"    public function cacheKey()\n    {{\n        $key = '{h}';\n        return $key . ':' . $this->table;\n    }}\n\n", h, "key-variable")
            return (f"    private $checksums = array(\n        '{n}.css' => '{h}',\n    );\n\n", h, "checksum-array")
        if kind in ("php_proc", "php_latin1"):
            return (f"$key = '{h}';\n$etag = md5($body) === $key;\n\n", h, "key-variable")
        if kind == "js":
            return (f"const {n}Checksum = '{h}';\nexport const cacheKey = (v) => `{n}:${{v}}:{h[:8]}`;\n\n", h, "const")
        if kind == "yaml":
            return (f"assets:\n  checksum: {h}\n\n", h, "checksum")
        if kind == "ini":
            return (f"[assets]\nchecksum = {h}\n\n", h, "checksum")
        raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# The tree's shape: where files go, what kind, how big.

KIND_WEIGHTS = [("php_class", 30), ("php_proc", 9), ("php_view", 10), ("php_latin1", 1),
                ("js", 30), ("js_min", 3), ("json", 7), ("yaml", 6), ("ini", 2), ("env", 2)]
EXT = {"php_class": ".php", "php_proc": ".php", "php_view": ".php", "php_latin1": ".inc",
       "js": ".js", "js_min": ".min.js", "json": ".json", "yaml": ".yml", "ini": ".ini"}


def layout(rng, kind):
    """A directory for a file of this kind."""
    v, p = rng.choice(VENDORS), rng.choice(PKGS)
    m = cap(rng.choice(NOUNS[:40]))
    if kind == "php_class":
        return rng.choice([f"app/Http/Controllers/{m}", f"app/Models", f"src/{v}/{m}",
                           f"vendor/{v.lower()}/{p}/src/{m}", f"vendor/{v.lower()}/{p}/src"])
    if kind == "php_proc":
        return rng.choice(["legacy", f"legacy/{m.lower()}", "lib/functions", f"public/{m.lower()}"])
    if kind == "php_view":
        return rng.choice([f"resources/views/{m.lower()}", f"templates/{m.lower()}"])
    if kind == "php_latin1":
        return "legacy/includes"
    if kind == "js":
        return rng.choice([f"resources/js/{m.lower()}", f"public/js/{m.lower()}",
                           f"node_modules/{p}/lib", f"node_modules/@{v.lower()}/{p}/dist"])
    if kind == "js_min":
        return "public/js/dist"
    if kind in ("json", "yaml", "ini"):
        return rng.choice(["config", f"config/{m.lower()}", f"vendor/{v.lower()}/{p}", f"node_modules/{p}"])
    if kind == "env":
        return rng.choice(["", "deploy", f"deploy/{m.lower()}", "docker"])
    raise ValueError(kind)


def file_name(rng, kind, taken):
    while True:
        if kind == "php_class":
            name = pascal(rng.choice(NOUNS), rng.choice(["Controller", "Repository", "Model", "Manager", "Helper", "Builder", "Handler"]))
        elif kind in ("php_proc", "php_latin1", "php_view"):
            name = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        elif kind == "env":
            name = rng.choice([".env", ".env.production", ".env.staging", ".env.example", ".env.local"])
        elif kind in ("json", "yaml", "ini"):
            name = rng.choice(NOUNS) + rng.choice(["", "s", "_config", "-settings"])
        else:
            name = camel(rng.choice(NOUNS), rng.choice(["store", "view", "utils", "api", "form", "table", "chart"]))
        if kind == "env":
            path = name
        else:
            path = name + EXT[kind]
        if path not in taken:
            taken.add(path)
            return path
        if kind == "env":
            return None
        rng_suffix = rng.randint(2, 99)
        path = f"{name}{rng_suffix}{EXT[kind]}"
        if path not in taken:
            taken.add(path)
            return path


def file_size(rng, kind):
    if kind == "env":
        return rng.randint(300, 3000)
    lo, hi = 1_000, 200_000
    median = 9_000 if kind not in ("json", "yaml", "ini") else 4_000
    s = int(math.exp(rng.gauss(math.log(median), 1.2)))
    return max(lo, min(hi, s))


# ---------------------------------------------------------------------------------------------
# Files as blocks: header + blocks + footer. Plants and decoys are blocks, so their line is known.

def build_file(seed, index, kind, size, want_decoy, incidental):
    """Returns (header, blocks, footer, decoy) where decoy is (block index, needle, shape) or None."""
    r = random.Random(f"{seed}:file:{index}")
    g = G(r)
    header, footer, blocks = "", "", []
    total = 0
    if kind == "php_class":
        vendor, module = r.choice(VENDORS), cap(g.n())
        cls = pascal(g.n(), r.choice(["Controller", "Repository", "Manager"]))
        header = g.php_class_header(vendor, module, cls)
        if incidental:
            s = r.choice(INCIDENTAL_SERVICES)
            header = header.replace("\nclass ", f"\nrequire_once __DIR__ . '/../Services/{s}Service.php';\n\nclass ", 1)
        footer = "}\n"
        make = g.php_method
    elif kind in ("php_proc", "php_latin1"):
        header = f"<?php\n/*\n * {g.sentence()}\n * {g.sentence()}\n */\n\n"
        if kind == "php_latin1":
            header += "// Modifi\u00e9 par l'\u00e9quipe: ne pas \u00e9diter \u00e0 la main (encodage ISO-8859-1).\n\n"
        if incidental:
            header += f"require_once dirname(__FILE__) . '/../lib/{r.choice(INCIDENTAL_SERVICES)}Service.php';\n\n"
        make = g.php_function
    elif kind == "php_view":
        header = f"<?php $title = '{cap(g.n())} {g.n()}s'; include __DIR__ . '/../partials/header.php'; ?>\n<main class=\"container\">\n"
        if incidental:
            header = f"<?php require_once __DIR__ . '/../../app/Services/{r.choice(INCIDENTAL_SERVICES)}Service.php'; ?>\n" + header
        footer = "</main>\n<?php include __DIR__ . '/../partials/footer.php'; ?>\n"
        make = g.php_view_block
    elif kind in ("js", "js_min"):
        header = "'use strict';\n\n" + "".join(f"import {{ {camel(g.v(), g.n())} }} from './{g.n()}.js';\n" for _ in range(r.randint(1, 5))) + "\n"
        if incidental:
            s = r.choice(INCIDENTAL_SERVICES)
            header += f"import {{ {s.lower()}Service }} from '../services/{s.lower()}';\n\nexport const load{s}s = async () => {s.lower()}Service.list();\n\n"
        make = lambda: g.js_class() if r.random() < 0.25 else g.js_function()
    elif kind == "yaml":
        header = f"# {g.sentence()}\nversion: {r.randint(1, 3)}\n\n"
        if incidental:
            header += f"# Handled by the {r.choice(INCIDENTAL_SERVICES)}Service.php worker.\n\n"
        make = g.yaml_block
    elif kind == "ini":
        header = f"; {g.sentence()}\n\n"
        if incidental:
            header += f"; Read by {r.choice(INCIDENTAL_SERVICES)}Service.php\n\n"
        make = g.ini_block
    elif kind == "env":
        header = f"# {g.sentence()}\nAPP_ENV={r.choice(['production', 'staging', 'local'])}\nAPP_DEBUG=false\n"
        make = g.env_line
    elif kind == "json":
        make = None
    else:
        raise ValueError(kind)

    if kind == "json":
        # JSON is a dict: blocks are top-level keys, rendered at the end (see render()).
        if incidental:
            blocks.append(("worker", f"app/Services/{r.choice(INCIDENTAL_SERVICES)}Service.php"))
        while total < size:
            k = f"{g.n()}_{g.n()}_{len(blocks)}"
            v = g.json_obj()
            blocks.append((k, v))
            total += len(json.dumps({k: v}, indent=2))
        return "", blocks, "", None

    total = len(header) + len(footer)
    while total < size:
        b = make()
        blocks.append(b)
        total += len(b)
    decoy = None
    if want_decoy and kind in ("php_class", "php_proc", "php_latin1", "js", "yaml", "ini"):
        block, needle, shape = g.decoy("php_class" if kind == "php_class" else ("js" if kind == "js" else kind))
        at = r.randint(0, len(blocks))
        blocks.insert(at, block)
        decoy = (at, needle, shape)
    return header, blocks, footer, decoy


def render(kind, header, blocks, footer, plant=None):
    """The file's text; `plant` is (position, block) inserted among the blocks."""
    blocks = list(blocks)
    if plant is not None:
        blocks.insert(min(plant[0], len(blocks)), plant[1])
    if kind == "json":
        return json.dumps(dict(blocks), indent=2) + "\n"
    text = header + "".join(blocks) + footer
    if kind == "js_min":
        # A minified bundle: one long line, comments and indentation gone.
        lines = [l.strip() for l in text.split("\n")]
        text = "".join(l for l in lines if l and not l.startswith(("//", "/*", "*"))) + "\n"
    return text


# ---------------------------------------------------------------------------------------------
# Plants: legacy Keap code. Each returns (block, [(rule, needle)]) where needle is a substring
# unique in the file, on the line where the rule's finding starts.

class Planter:
    def __init__(self, rng):
        self.r = rng
        self.apps = set()

    def app(self):
        while True:
            a = "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2)) + str(self.r.randint(100, 999))
            if a not in self.apps:
                self.apps.add(a)
                return a

    def hex32(self):
        return "%032x" % self.r.getrandbits(128)

    def sak(self):
        return "KeapAK-" + "%050x" % self.r.getrandbits(200)

    # name -> (host kinds, function)
    def php_endpoint_literal(self):
        a = self.app()
        url = f"https://{a}.infusionsoft.com/api/xmlrpc"
        return (f"    public function legacyClient()\n    {{\n        $client = new xmlrpc_client('{url}');\n"
                f"        $client->setSSLVerifyPeer(true);\n        return $client;\n    }}\n\n", [("legacy-endpoint", url)])

    def php_xmlrpcmsg(self):
        needle = "php_xmlrpc_encode($this->apiKey)"
        return (f"    public function addContact(array $fields)\n    {{\n"
                f"        $msg = new xmlrpcmsg('ContactService.add', array({needle}, php_xmlrpc_encode($fields)));\n"
                f"        return $this->client->send($msg);\n    }}\n\n", [("key-in-body", needle)])

    def php_concat_endpoint(self):
        needle = "'https://' . $this->appName . '.infusionsoft.com/api/xmlrpc'"
        return (f"    protected function endpoint()\n    {{\n        $url = {needle};\n        return $url;\n    }}\n\n",
                [("legacy-endpoint", needle)])

    def php_sak_const(self):
        k = self.sak()
        return (f"    const KEAP_SAK = '{k}';\n\n", [("hardcoded-key", k)])

    def php_vendor_login(self):
        needle = "'DataService.getTemporaryKey'"
        return (f"    public function vendorLogin($vendorKey, $user, $pass)\n    {{\n"
                f"        $tmp = $this->client->send(new xmlrpcmsg({needle}, array(php_xmlrpc_encode($vendorKey), php_xmlrpc_encode($user), php_xmlrpc_encode(md5($pass)))));\n"
                f"        return $tmp->value();\n    }}\n\n", [("legacy-vendor-login", needle)])

    def php_token_in_url(self):
        needle = "'https://api.infusionsoft.com/crm/xmlrpc/v1?access_token='"
        return (f"    public function oauthClient($token)\n    {{\n        return new xmlrpc_client({needle} . $token);\n    }}\n\n",
                [("token-in-url", needle)])

    def php_mortgagepro(self):
        needle = "\"https://\" . $this->app . \".mortgageprocrm.com/api/xmlrpc\""
        return (f"    public function mortgageClient()\n    {{\n        return new xmlrpc_client({needle});\n    }}\n\n",
                [("mortgagepro-endpoint", needle)])

    def php_commented_endpoint(self):
        a = self.app()
        url = f"https://{a}.infusionsoft.com/api/xmlrpc"
        return (f"    // Old client, kept for reference:\n    // $client = new xmlrpc_client('{url}');\n\n", [("legacy-endpoint", url)])

    def php_wrapper(self):
        needle = "array_unshift($args, $this->apiKey);"
        return (f"    /**\n     * Infusionsoft's XML-RPC API takes the key first in every call.\n     */\n"
                f"    protected function call($method, array $args)\n    {{\n        {needle}\n"
                f"        return $this->xmlrpc->call($method, $args);\n    }}\n\n", [("key-in-body", "$this->apiKey);")])

    def proc_define_key(self):
        k = self.hex32()
        return (f"define('INFUSIONSOFT_KEY', '{k}');\n\n", [("hardcoded-key", k)])

    def proc_conn_cfg(self):
        a, k = self.app(), self.hex32()
        # The iSDK's conn.cfg.php line, with no other Keap name in the file.
        return (f"$connInfo = array('crm:{a}:i:{k}:Production connection');\n\n", [("hardcoded-key", k)])

    def proc_methodcall_xml(self):
        needle = "' . $key . '"
        return ("function keap_load_contact($key, $id)\n{\n"
                f"    $xml = '<?xml version=\"1.0\"?><methodCall><methodName>ContactService.load</methodName><params><param><value><string>{needle}</string></value></param>"
                "<param><value><int>' . (int) $id . '</int></value></param></params></methodCall>';\n"
                "    return $xml;\n}\n\n", [("key-in-body", needle)])

    def js_client(self):
        u = "`https://${appName}.infusionsoft.com/api/xmlrpc`"
        return ("export function syncContact(appName, apiKey, contact, cb) {\n"
                f"  const client = xmlrpc.createSecureClient({u});\n"
                "  client.methodCall('ContactService.add', [apiKey, contact], cb);\n}\n\n",
                [("legacy-endpoint", u), ("key-in-body", "apiKey, contact]")])

    def js_hex_key(self):
        k = self.hex32()
        return (f"const INFUSIONSOFT_API_KEY = '{k}';\n\n", [("hardcoded-key", k)])

    def js_wrapper(self):
        needle = "this.apiKey].concat"
        return ("// Keap (Infusionsoft) XML-RPC calls all go through here.\n"
                "function keapCall(method, args, cb) {\n"
                f"  return client.methodCall(method, [{needle}(args), cb);\n}}\n\n", [("key-in-body", needle)])

    def yaml_block(self):
        a, k = self.app(), self.hex32()
        url = f"https://{a}.infusionsoft.com/api/xmlrpc"
        return (f"infusionsoft:\n  app: {a}\n  endpoint: {url}\n  api_key: \"{k}\"\n\n",
                [("legacy-endpoint", url), ("hardcoded-key", k)])

    def ini_block(self):
        a, k = self.app(), self.hex32()
        return (f"[infusionsoft]\napp_name = {a}\napi_key = {k}\n\n", [("hardcoded-key", k)])

    def json_entry(self):
        a, k = self.app(), self.sak()
        url = f"https://{a}.infusionsoft.com/api/xmlrpc/"
        return (("keap", {"endpoint": url, "apiKey": k, "timeout": 30}),
                [("legacy-endpoint", url), ("hardcoded-key", k)])

    def env_sak(self):
        k = self.sak()
        return (f"KEAP_API_KEY={k}\n", [("hardcoded-key", k)])

    def env_legacy(self):
        k = self.hex32()
        return (f"INFUSIONSOFT_API_KEY={k}\n", [("hardcoded-key", k)])


PLANTS = [
    ("php_class", "php_endpoint_literal"), ("php_class", "php_xmlrpcmsg"),
    ("php_class", "php_concat_endpoint"), ("php_class", "php_sak_const"),
    ("php_class", "php_vendor_login"), ("php_class", "php_token_in_url"),
    ("php_class", "php_mortgagepro"), ("php_class", "php_commented_endpoint"),
    ("php_class", "php_wrapper"), ("php_proc", "proc_define_key"),
    ("php_proc", "proc_conn_cfg"), ("php_proc", "proc_methodcall_xml"),
    ("js", "js_client"), ("js", "js_hex_key"), ("js", "js_wrapper"),
    ("yaml", "yaml_block"), ("ini", "ini_block"), ("json", "json_entry"),
    ("env", "env_sak"), ("env", "env_legacy"),
]


# ---------------------------------------------------------------------------------------------

def load_keywords():
    kws = []
    for f in sorted(RULES_DIR.glob("*.toml")):
        rule = tomllib.loads(f.read_text())
        kws += rule.get("keywords", []) + rule.get("exact-keywords", [])
    return [k.lower() for k in kws]


def keyword_in(text_lower, kws):
    return next((k for k in kws if k in text_lower), None)


def line_of(text, needle, path):
    i = text.find(needle)
    if i < 0 or text.find(needle, i + 1) >= 0:
        raise SystemExit(f"gen.py: needle {needle!r} not unique in {path}")
    return text.count("\n", 0, i) + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--size-mb", type=float, default=220.0, help="MB (10^6 bytes) of ordinary text files (default 220)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plants", type=int, default=50, help="files that get legacy Keap code (default 50)")
    ap.add_argument("--decoy-rate", type=float, default=0.01, help="share of files holding a 32-hex decoy (default 0.01)")
    ap.add_argument("--incidental-rate", type=float, default=0.01,
                    help="share of files naming an unrelated `XService.` class, which passes the keyword prefilter (default 0.01)")
    ap.add_argument("--clean", action="store_true", help="no Keap code: the same tree without the plants")
    ap.add_argument("--manifest", type=Path, help="default: TREE.manifest.json")
    ap.add_argument("--force", action="store_true", help="replace TREE if it exists")
    ap.add_argument("--reuse", action="store_true",
                    help="keep TREE if its manifest says this generator made it with these parameters; else replace it")
    a = ap.parse_args()

    tree = a.tree
    manifest_path = a.manifest or tree.with_name(tree.name + ".manifest.json")
    params = {"size_mb": a.size_mb, "seed": a.seed, "plants": a.plants if not a.clean else 0,
              "decoy_rate": a.decoy_rate, "incidental_rate": a.incidental_rate, "clean": a.clean}
    kws = load_keywords()
    # The tree depends on the generator and, through the keyword check, on the rules' keywords.
    gen_sha = hashlib.sha256(Path(__file__).read_bytes() + "\0".join(kws).encode()).hexdigest()
    if a.reuse and tree.is_dir() and manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text())
        except ValueError:
            old = {}
        if old.get("params") == params and old.get("gen_sha256") == gen_sha:
            print(f"{tree}: reusing ({old['files']} files, {old['bytes'] / 1e6:.1f} MB)", file=sys.stderr)
            return
    if tree.exists():
        if not (a.force or a.reuse):
            raise SystemExit(f"gen.py: {tree} exists (--force to replace it)")
        if not (manifest_path.is_file() or a.force):
            raise SystemExit(f"gen.py: {tree} exists and has no manifest: not removing it (--force to replace it)")
        shutil.rmtree(tree)
    target = int(a.size_mb * 1_000_000)
    seed = a.seed

    # 1. The plan: every file's path, kind and size, from one RNG.
    plan_rng = random.Random(f"{seed}:plan")
    kinds, weights = zip(*KIND_WEIGHTS)
    taken_by_dir = {}
    plan = []  # (rel, kind, size, decoy, incidental)
    total = 0
    while total < target:
        kind = plan_rng.choices(kinds, weights)[0]
        d = layout(plan_rng, kind)
        name = file_name(plan_rng, kind, taken_by_dir.setdefault(d, set()))
        size = file_size(plan_rng, kind)
        decoy = plan_rng.random() < a.decoy_rate
        incidental = kind != "env" and plan_rng.random() < (a.incidental_rate if not decoy else 0.5)
        if name is None:
            continue
        plan.append((f"{d}/{name}" if d else name, kind, size, decoy, incidental))
        total += size

    # 2. Which files get plants: files of the plant's kind with no decoy (a strong Keap context
    # makes every 32-hex literal in a file a key, by design).
    plant_rng = random.Random(f"{seed}:plants")
    planter = Planter(plant_rng)
    by_kind = {}
    for i, (rel, kind, size, decoy, inc) in enumerate(plan):
        if not decoy and not inc:
            by_kind.setdefault(kind, []).append(i)
    chosen = {}
    for p in range(a.plants):
        host_kind, fn = PLANTS[p % len(PLANTS)]
        candidates = [i for i in by_kind.get(host_kind, []) if i not in chosen]
        if not candidates:
            raise SystemExit(f"gen.py: no {host_kind} file left for plant {fn}; raise --size-mb")
        i = plant_rng.choice(candidates)
        block, expects = getattr(planter, fn)()
        chosen[i] = (fn, block, expects, plant_rng.random())

    # 3. Write.
    tmp = tree.with_name(tree.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    manifest = {"generator": "bench/gen.py", "gen_version": GEN_VERSION, "gen_sha256": gen_sha, "params": params,
                "tree": str(tree.resolve()), "max_file_size": MAX_FILE_SIZE,
                "plants": [], "decoys": [], "binary": [], "too_large": [], "not_utf8": [], "keyword_files": []}
    files = nbytes = scan_files = scan_bytes = 0
    made_dirs = set()

    def write(rel, data):
        nonlocal files, nbytes, scan_files, scan_bytes
        p = tmp / rel
        if p.parent not in made_dirs:
            p.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(p.parent)
        p.write_bytes(data)
        files += 1
        nbytes += len(data)
        if len(data) <= MAX_FILE_SIZE:
            scan_files += 1
            scan_bytes += len(data)

    for i, (rel, kind, size, decoy, incidental) in enumerate(plan):
        header, blocks, footer, d = build_file(seed, i, kind, size, decoy, incidental)
        base = render(kind, header, blocks, footer)
        low = base.lower()
        hit = keyword_in(low, kws)
        if bool(hit) != incidental:
            at = low.find(hit) if hit else 0
            raise SystemExit(f"gen.py: bug: keyword {hit!r} in {rel} (incidental: {incidental}): {base[max(0, at - 60):at + 60]!r}")
        text = base
        if i in chosen and not a.clean:
            fn, block, expects, where = chosen[i]
            pos = int(where * (len(blocks) + 1))
            text = render(kind, header, blocks, footer, (pos, block))
            manifest["plants"].append({"path": rel, "plant": fn, "expect": [
                {"rule": rule, "line": line_of(text, needle, rel)} for rule, needle in expects]})
        if d is not None:
            manifest["decoys"].append({"path": rel, "shape": d[2], "line": line_of(text, d[1], rel)})
        if incidental:
            manifest["keyword_files"].append(rel)
        if kind == "php_latin1":
            data = text.encode("latin-1")
            manifest["not_utf8"].append(rel)
        else:
            data = text.encode("utf-8")
        write(rel, data)
    planted_files = len(manifest["plants"])
    manifest["keyword_files"] += [p["path"] for p in manifest["plants"]]
    manifest["keyword_files"].sort()

    # Binary files (a NUL in the first bytes, as images and fonts have) and one bundle over the
    # size limit: both are skipped by the scan and listed in its summary.
    brng = random.Random(f"{seed}:binary")
    for j in range(12):
        ext = brng.choice([".png", ".gif", ".woff2", ".ico"])
        head = {".png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ".gif": b"GIF89a\x10\x00\x10\x00\x00\x00\x00",
                ".woff2": b"wOF2\x00\x01\x00\x00", ".ico": b"\x00\x00\x01\x00\x01\x00"}[ext]
        rel = f"public/img/{brng.choice(NOUNS)}-{j}{ext}"
        write(rel, head + brng.randbytes(brng.randint(2_000, 150_000)))
        manifest["binary"].append(rel)
    g = G(random.Random(f"{seed}:large"))
    parts, n = [], 0
    while n < MAX_FILE_SIZE + 1_500_000:
        s = g.js_function().replace("\n", "")
        parts.append(s)
        n += len(s)
    big = "".join(parts) + "\n"
    assert keyword_in(big.lower(), kws) is None
    write("public/js/dist/vendor.bundle.js", big.encode())
    manifest["too_large"].append("public/js/dist/vendor.bundle.js")

    # Every tool reads the files under the size limit: that is the work MB/s and files/s measure.
    manifest.update(files=files, bytes=nbytes, scannable_files=scan_files, scannable_bytes=scan_bytes)
    for key in ("binary", "too_large", "not_utf8"):
        manifest[key].sort()
    manifest["plants"].sort(key=lambda p: p["path"])
    manifest["decoys"].sort(key=lambda d: d["path"])
    os.replace(tmp, tree)
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{tree}: {files} files, {nbytes / 1e6:.1f} MB; {planted_files} planted files, "
          f"{len(manifest['decoys'])} decoys, {len(manifest['keyword_files'])} files with a rule keyword; "
          f"manifest {manifest_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
