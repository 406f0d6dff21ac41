(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {
    // POST /api/@SCOPE@/console/subflows/{flow_sys_id}/start
    // Starts one thing only: the create, update or cancel work order subflow that an FM
    // provider record references, with that subflow's inputs and nothing else, for a work
    // order of that provider the caller may read. Everything is read with
    // GlideRecordSecure, so the caller's ACLs apply; the subflow itself runs as its
    // "Run as" setting says (it may be the System user): that is why the checks below
    // come first.
    var ROLE = '@ROLE@';
    var INPUTS = @INPUTS@;
    var PROVIDER_FIELDS = @PROVIDER_FIELDS@;

    function fail(status, message, detail) {
        var err = new sn_ws_err.ServiceError();
        err.setStatus(status);
        err.setMessage(message);
        err.setDetail(detail);
        response.setError(err);
    }

    if (!gs.hasRole(ROLE)) {
        fail(403, 'Not permitted', 'The hubtop companion needs the role ' + ROLE);
        return;
    }
    var flowId = String(request.pathParams.flow_sys_id || '');
    if (!/^[0-9a-f]{32}$/.test(flowId)) {
        response.setError(new sn_ws_err.BadRequestError('A subflow is named by its 32-character sys_id'));
        return;
    }

    // 1. Which provider references this flow, and for which operation.
    var operation = '';
    var provider = new GlideRecordSecure('sn_wsd_case_fm_provider');
    var query = [];
    for (var op in PROVIDER_FIELDS) {
        if (PROVIDER_FIELDS.hasOwnProperty(op)) {
            query.push(PROVIDER_FIELDS[op] + '=' + flowId);
        }
    }
    provider.addEncodedQuery(query.join('^OR'));
    provider.setLimit(1);
    provider.query();
    if (provider.next()) {
        for (var name in PROVIDER_FIELDS) {
            if (PROVIDER_FIELDS.hasOwnProperty(name) && provider.getValue(PROVIDER_FIELDS[name]) == flowId) {
                operation = name;
            }
        }
    }
    if (!operation) {
        fail(403, 'Not a provider subflow',
            'The companion starts only the create, update or cancel work order subflow of an FM provider');
        return;
    }
    var flow = new GlideRecordSecure('sys_hub_flow');
    if (!flow.get(flowId) || flow.getValue('type') != 'subflow' || String(flow.active) != 'true') {
        fail(403, 'Not a provider subflow', 'The flow the provider names is not an active subflow');
        return;
    }

    // 2. Only the inputs of that subflow.
    var body = request.body.data || {};
    var given = body.inputs || {};
    var allowed = INPUTS[operation];
    var unknown = [];
    for (var key in given) {
        if (given.hasOwnProperty(key) && allowed.indexOf(key) < 0) {
            unknown.push(key);
        }
    }
    if (unknown.length > 0) {
        response.setError(new sn_ws_err.BadRequestError('Unknown inputs for the ' + operation + ' subflow: '
            + unknown.join(', ') + ' (allowed: ' + allowed.join(', ') + ')'));
        return;
    }

    // 3. The work order: one of this provider's, readable by the caller.
    var task = new GlideRecordSecure('sn_wsd_core_workplace_task');
    if (!given.record || !task.get(String(given.record))) {
        response.setError(new sn_ws_err.BadRequestError('inputs.record must name a work order the caller may read'));
        return;
    }
    if (task.getValue('fm_provider') != provider.getUniqueValue()) {
        fail(403, 'Not this provider\'s work order', 'The work order is not assigned to the provider of this subflow');
        return;
    }
    var inputs = {record: task};
    if (operation == 'update') {
        var changed = given.changed_fields || [];
        var isList = Object.prototype.toString.call(changed) == '[object Array]';
        for (var c = 0; isList && c < changed.length; c++) {
            isList = typeof changed[c] == 'string';
        }
        if (!isList) {
            response.setError(new sn_ws_err.BadRequestError('inputs.changed_fields is a list of field names'));
            return;
        }
        inputs.changed_fields = changed;
        inputs.comment = String(given.comment || '');
    }

    // 4. Start it in the background; the answer names the flow context.
    var scope = String(flow.sys_scope.scope);
    var result = sn_fd.FlowAPI.getRunner()
        .subflow(scope + '.' + flow.getValue('internal_name'))
        .inBackground()
        .withInputs(inputs)
        .run();
    response.setStatus(202);
    response.setBody({context_id: result.getContextId(), operation: operation});
})(request, response);
