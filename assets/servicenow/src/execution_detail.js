(function process(/*RESTAPIRequest*/ request, /*RESTAPIResponse*/ response) {
    // GET /api/@SCOPE@/console/executions/{sys_id}
    // A flow context as the caller may read it (GlideRecordSecure: the caller's ACLs
    // apply), its outputs and error through sn_fd.FlowAPI, and whether the instance
    // records step detail for it. Step detail (the execution details of Workflow Studio)
    // is only generated when flow reporting is on (enable-flow-reporting); its stored
    // form is not documented, so this script does not decode it: it says whether it is
    // recorded, and hubtop points to Workflow Studio, or says that it is not recorded.
    var ROLE = '@ROLE@';

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
    var id = String(request.pathParams.sys_id || '');
    if (!/^[0-9a-f]{32}$/.test(id)) {
        response.setError(new sn_ws_err.BadRequestError('An execution is named by its 32-character sys_id'));
        return;
    }
    var ctx = new GlideRecordSecure('sys_flow_context');
    if (!ctx.get(id)) {
        response.setError(new sn_ws_err.NotFoundError('No execution ' + id + ' that the caller may read'));
        return;
    }

    var fields = ['sys_id', 'name', 'flow', 'state', 'started', 'ended', 'run_time', 'source_table',
        'source_record', 'error_message'];
    var execution = {};
    for (var i = 0; i < fields.length; i++) {
        execution[fields[i]] = ctx.getValue(fields[i]) || '';
    }

    // Outputs of a completed subflow, and the error of a failed one (both documented
    // FlowAPI methods; either throws for contexts it cannot read).
    var outputs = {};
    var error = '';
    var state = execution.state;
    if (state == 'COMPLETE') {
        try {
            outputs = sn_fd.FlowAPI.getOutputs(id) || {};
        } catch (e) {
            outputs = {};
        }
    }
    if (state == 'ERROR') {
        try {
            error = String(sn_fd.FlowAPI.getErrorMessage(id) || '');
        } catch (e2) {
            error = execution.error_message;
        }
    }

    // Whether execution details are generated for this flow: the system-wide level
    // (com.snc.process_flow.reporting.level) or a Settings record for the flow
    // (sys_flow_execution_setting).
    var level = String(gs.getProperty('com.snc.process_flow.reporting.level', 'off') || 'off').toLowerCase();
    var recorded = level.indexOf('off') != 0;
    if (!recorded && execution.flow) {
        var setting = new GlideRecordSecure('sys_flow_execution_setting');
        setting.addQuery('document', execution.flow);
        setting.setLimit(1);
        setting.query();
        if (setting.next()) {
            recorded = String(setting.getValue('reporting') || 'off').toLowerCase().indexOf('off') != 0;
        }
    }

    response.setStatus(200);
    response.setBody({
        execution: execution,
        inputs: {},
        outputs: outputs,
        error: error,
        step_detail: recorded ? 'recorded' : 'not_recorded',
        steps: []
    });
})(request, response);
