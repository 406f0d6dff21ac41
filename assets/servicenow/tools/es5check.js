// Parses each script given on the command line as ES5 (the platform's ES5 Standards Mode,
// the scope's js_level) with acorn, and prints, as JSON, every call the script makes:
// the callee as a dotted path (`gs.hasRole`, `sn_fd.FlowAPI.getRunner().subflow`), whether
// it is a `new`, and the names the script declares itself (its variables, parameters and
// functions), so that tests/sim/companion.rs can tell platform calls from local ones.
// Exit status 1 with the parser's message when a script is not ES5.
'use strict';
var fs = require('fs');
var acorn = require('acorn');

function render(node) {
    switch (node.type) {
        case 'Identifier': return node.name;
        case 'ThisExpression': return 'this';
        case 'Literal': return node.regex ? '<regex>' : '<literal>';
        case 'FunctionExpression': return '<function>';
        case 'CallExpression': return render(node.callee) + '()';
        case 'NewExpression': return 'new ' + render(node.callee) + '()';
        case 'MemberExpression':
            return render(node.object) + (node.computed ? '[]' : '.' + node.property.name);
        default: return '<' + node.type + '>';
    }
}

function walk(node, visit) {
    if (!node || typeof node.type !== 'string') return;
    visit(node);
    for (var key in node) {
        if (key === 'loc' || key === 'range') continue;
        var child = node[key];
        if (Array.isArray(child)) child.forEach(function (c) { walk(c, visit); });
        else if (child && typeof child.type === 'string') walk(child, visit);
    }
}

var out = {};
var failed = false;
process.argv.slice(2).forEach(function (file) {
    var src = fs.readFileSync(file, 'utf8');
    var ast;
    try {
        ast = acorn.parse(src, { ecmaVersion: 5, sourceType: 'script' });
    } catch (e) {
        process.stderr.write(file + ': not ES5: ' + e.message + '\n');
        failed = true;
        return;
    }
    var calls = [];
    var declared = {};
    walk(ast, function (n) {
        if (n.type === 'VariableDeclarator') declared[n.id.name] = true;
        if (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration') {
            if (n.id) declared[n.id.name] = true;
            n.params.forEach(function (p) { declared[p.name] = true; });
        }
        if (n.type === 'CatchClause') declared[n.param.name] = true;
        if (n.type === 'CallExpression' || n.type === 'NewExpression') {
            calls.push({ callee: render(n.callee), new: n.type === 'NewExpression' });
        }
    });
    out[file] = { calls: calls, declared: Object.keys(declared).sort() };
});
process.stdout.write(JSON.stringify(out));
process.exit(failed ? 1 : 0);
