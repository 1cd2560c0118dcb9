// The report panel beside OHIF (GET /reporting?study=UID; Gateway/Reports/Pages/ReportingPages.cs). Doctors and
// admins write the draft (autosaved 3 s after typing stops and when the page is left, retried with back-off while the
// gateway does not answer), mark it preliminary (optional), sign it, amend a signed report; operators read the signed
// report. Every write names the
// ETag it was made against: a 412 shows who changed the report meanwhile instead of overwriting it. While editing, the
// panel holds the report's advisory lock (POST …/lock, renewed by every autosave and a heartbeat every 30 s, released
// when the page is left or the report signed); a second doctor sees "being edited by …" and cannot edit (an admin may
// take over).
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('pacs-strings').textContent);
  var body = document.body;
  var study = body.dataset.study;
  var me = body.dataset.user;
  var lang = body.dataset.lang;
  var mayEdit = body.dataset.role === 'doctor' || body.dataset.role === 'admin';
  var reportUrl = '/api/studies/' + encodeURIComponent(study) + '/report';
  var fields = ['clinicalInformation', 'technique', 'comparison', 'findings', 'impression', 'recommendations'];
  var autosaveDelayMs = 3000;
  var lockHeartbeatMs = 30000;
  var lock = { held: false, timer: 0 };
  var state = { etag: null, status: 'none', current: null, mode: 'read', edits: 0, savedEdits: 0, saving: null, timer: 0, retry: 0, conflict: false };
  var templates = [];
  var studyInfo = { modalities: [], description: '' };

  function $(id) { return document.getElementById(id); }
  function t(key) {
    var text = strings[key] || key;
    for (var i = 1; i < arguments.length; i++) { text = text.split('{' + (i - 1) + '}').join(String(arguments[i])); }
    return text;
  }
  function editable(status) { return status === 'none' || status === 'draft' || status === 'preliminary'; }
  function when(iso) { return iso ? new Date(iso).toLocaleString(lang) : ''; }
  function time(date) { return date.toLocaleTimeString(lang); }
  function toLogin() { window.location.assign('/login?returnUrl=' + encodeURIComponent(window.location.pathname + window.location.search)); }
  function problem(r) {
    return r.json().catch(function () { return {}; }).then(function (p) { return p.detail || p.title || String(r.status); });
  }
  function api(url, options) {
    options = options || {};
    options.credentials = 'same-origin';
    options.headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    return fetch(url, options).then(function (r) {
      if (r.status === 401) { toLogin(); }
      return r;
    });
  }
  function content() {
    var value = { language: $('report-language').value, priority: $('priority').value, critical: $('critical').checked };
    fields.forEach(function (f) { value[f] = $(f).value; });
    return value;
  }
  function fill(version) {
    fields.forEach(function (f) { $(f).value = version ? version[f] || '' : ''; });
    $('report-language').value = version && version.language ? version.language : lang;
    $('priority').value = version && version.priority ? version.priority : 'routine';
    $('critical').checked = !!(version && version.critical);
  }

  // ---- The advisory editing lock ----
  function showLock(holder) {
    if (!holder) { $('lock-banner').hidden = true; return; }
    var since = new Date(holder.since).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
    $('lock-text').textContent = t('locked_by', holder.holderName || holder.holder, since);
    $('take-over').hidden = body.dataset.role !== 'admin';
    $('lock-banner').hidden = false;
  }
  function lockLost(holder) {
    lock.held = false;
    clearInterval(lock.timer);
    body.dataset.lock = 'other';
    showLock(holder);
    if (state.mode === 'edit' || state.mode === 'amend') { setMode('read'); }
  }
  /** Takes (or renews) the lock; resolves true when this page may edit. */
  function acquireLock(force) {
    return api(reportUrl + '/lock' + (force ? '?force=true' : ''), { method: 'POST' }).then(function (r) {
      if (r.ok) {
        if (!lock.held) {
          lock.held = true;
          clearInterval(lock.timer);
          lock.timer = setInterval(function () { if (lock.held) { acquireLock(false); } }, lockHeartbeatMs);
        }
        body.dataset.lock = 'mine';
        showLock(null);
        return true;
      }
      if (r.status === 409) { return r.json().then(function (holder) { lockLost(holder); return false; }); }
      return true; // the lock is advice: without an answer editing goes on, every save still names its ETag
    }, function () { return true; });
  }
  function releaseLock() {
    if (!lock.held) { return; }
    lock.held = false;
    clearInterval(lock.timer);
    fetch(reportUrl + '/lock', { method: 'DELETE', keepalive: true, credentials: 'same-origin' }).catch(function () {});
  }
  /** A 409 with the lock's holder (another doctor edits) or a plain conflict (the report changed). */
  function refused409(r) {
    return r.json().catch(function () { return {}; }).then(function (p) { return p.holder ? lockLost(p) : conflict(); });
  }

  // ---- Critical findings: the notification (who, how, when) must be recorded before a critical report is signed ----
  function showCritical() {
    var editing = state.mode === 'edit' || state.mode === 'amend';
    $('critical-row').hidden = !(mayEdit && ($('critical').checked || $('notifications').children.length > 0));
    $('notify-form').hidden = !(editing && $('critical').checked);
  }
  function showNotifications(list) {
    var ol = $('notifications');
    ol.textContent = '';
    (list || []).forEach(function (n) {
      var item = document.createElement('li');
      item.textContent = t('notification_row', n.notified, t('method_' + n.method), when(n.notifiedAt), n.recordedBy);
      ol.appendChild(item);
    });
    showCritical();
  }

  // ---- Study header (QIDO-RS, PS3.18 10.6; attributes by tag, DICOM JSON PS3.18 F.2) ----
  // A DICOM DA (PS3.5 6.2: YYYYMMDD) as the worklist shows dates (ISO 8601, YYYY-MM-DD); anything else as it is.
  function dicomDate(da) { return /^\d{8}$/.test(da) ? da.slice(0, 4) + '-' + da.slice(4, 6) + '-' + da.slice(6) : da; }
  function value(dataset, tag) {
    var element = dataset[tag];
    if (!element || !element.Value || element.Value.length === 0) { return ''; }
    var v = element.Value[0];
    return typeof v === 'object' ? (v.Alphabetic || '') : String(v);
  }
  function loadStudy() {
    return api('/dicom-web/studies?StudyInstanceUID=' + encodeURIComponent(study) + '&includefield=00100030,00081030', { headers: { Accept: 'application/dicom+json' } })
      .then(function (r) { return r.status === 200 ? r.json() : []; })
      .then(function (list) {
        var header = $('study-header');
        header.textContent = '';
        if (!list || list.length === 0) { return; }
        var d = list[0];
        var modalities = d['00080061'] && d['00080061'].Value ? d['00080061'].Value : [];
        studyInfo = { modalities: modalities, description: value(d, '00081030') };
        var name = value(d, '00100010').split('^');
        [[t('patient'), (name.length > 1 ? name[0] + ', ' + name[1] : name[0]) + ' (' + value(d, '00100020') + ')'],
         [t('birth_date'), dicomDate(value(d, '00100030'))],
         [t('study_date'), dicomDate(value(d, '00080020')) + ' · ' + modalities.join(', ') + ' · ' + (studyInfo.description || t('no_description'))],
         [t('accession'), value(d, '00080050')]].forEach(function (line) {
          var div = document.createElement('div');
          div.textContent = line[0] + ': ' + line[1];
          header.appendChild(div);
        });
      })
      .catch(function () {});
  }

  // ---- Templates (GET /api/report-templates) ----
  function proposed() {
    var description = (studyInfo.description || '').toLowerCase();
    var fits = templates.filter(function (tp) { return studyInfo.modalities.indexOf(tp.modality) >= 0; });
    var byWord = fits.filter(function (tp) { return tp.keywords.some(function (k) { return description.indexOf(k) >= 0; }); });
    return byWord[0] || fits[0] || null;
  }
  function loadTemplates() {
    return api('/api/report-templates?lang=' + encodeURIComponent(lang))
      .then(function (r) { return r.ok ? r.json() : { templates: [] }; })
      .then(function (answer) {
        templates = answer.templates;
        var select = $('template');
        select.textContent = '';
        var best = proposed();
        var ordered = templates.slice().sort(function (a, b) {
          var fa = studyInfo.modalities.indexOf(a.modality) >= 0 ? 0 : 1;
          var fb = studyInfo.modalities.indexOf(b.modality) >= 0 ? 0 : 1;
          return fa - fb;
        });
        ordered.forEach(function (tp) {
          var option = document.createElement('option');
          option.value = tp.id;
          option.textContent = tp.name + ' (' + tp.modality + ')';
          select.appendChild(option);
        });
        if (best) { select.value = best.id; $('template').title = t('template_proposed', best.name); }
      });
  }
  function applyTemplate() {
    var chosen = templates.filter(function (tp) { return tp.id === $('template').value; })[0];
    if (!chosen) { return; }
    // A template holds some of the sections: the others keep what the doctor wrote.
    fields.forEach(function (f) { if (typeof chosen[f] === 'string') { $(f).value = chosen[f]; } });
    $('report-language').value = lang;
    edited();
  }

  // ---- Showing the report ----
  function setMode(mode) {
    state.mode = mode;
    var editing = mode === 'edit' || mode === 'amend';
    fields.forEach(function (f) { $(f).readOnly = !editing; });
    $('report-language').disabled = !editing;
    $('priority').disabled = !editing;
    $('critical').disabled = !editing;
    $('priority-row').hidden = !mayEdit;
    $('template-row').hidden = !editing;
    $('language-row').hidden = !mayEdit;
    $('sign').hidden = mode !== 'edit';
    $('preliminary').hidden = !(mode === 'edit' && state.status === 'draft');
    $('amend').hidden = !(mayEdit && mode === 'read' && (state.status === 'final' || state.status === 'amended'));
    $('sign-amendment').hidden = mode !== 'amend';
    $('amend-row').hidden = mode !== 'amend';
    var signed = state.status === 'final' || state.status === 'amended';
    $('pdf').hidden = !(mayEdit && (signed || state.status === 'preliminary'));
    $('pdf').href = reportUrl + '/pdf?lang=' + encodeURIComponent(lang);
    $('sections').hidden = !mayEdit && !signed;
    body.dataset.mode = mode;
    showCritical();
  }
  function show(report) {
    state.etag = report.etag;
    state.status = report.status;
    state.current = report.current;
    body.dataset.reportStatus = report.status;
    $('report-status').textContent = t('status_' + report.status);
    fill(report.current);
    showNotifications(report.criticalNotifications);
    state.savedEdits = state.edits;
    var info = '';
    var c = report.current;
    if (c && c.signer) { info = t('signed_by', c.signer, when(c.signedAt)); }
    else if (c && c.author && c.author !== me) { info = t('edited_by', c.author, when(c.updatedAt)); }
    $('report-editor-info').textContent = info;
    setMode(mayEdit && editable(report.status) ? 'edit' : 'read');
    loadVersions();
  }
  function loadReport() {
    return api(reportUrl).then(function (r) {
      if (r.status === 404) {
        return problem(r).then(function () {
          body.dataset.reportStatus = 'none';
          $('report-status').textContent = mayEdit ? t('unknown_study') : t('no_signed_report');
          setMode('read');
        });
      }
      if (!r.ok) { return problem(r).then(function (d) { $('report-status').textContent = t('load_failed', d); }); }
      return r.json().then(show);
    });
  }
  function loadVersions() {
    api(reportUrl + '/history').then(function (r) { return r.ok ? r.json() : { versions: [] }; }).then(function (h) {
      var list = $('versions');
      list.textContent = '';
      h.versions.forEach(function (v) {
        var item = document.createElement('li');
        item.textContent = t('version_row', v.version, t('status_' + v.status), v.signer || v.author, when(v.signedAt || v.updatedAt));
        item.addEventListener('click', function () {
          var view = $('version-view');
          view.hidden = false;
          view.textContent = fields.map(function (f) { return t(f) + ':\n' + (v[f] || ''); }).join('\n\n')
            + (v.amendmentReason ? '\n\n' + t('amend_reason') + ':\n' + v.amendmentReason : '');
        });
        list.appendChild(item);
      });
    });
  }

  // ---- Autosave of the draft ----
  function edited() {
    if (state.mode !== 'edit') { return; }
    state.edits++;
    $('save-status').textContent = t('unsaved');
    clearTimeout(state.timer);
    state.timer = setTimeout(save, autosaveDelayMs);
  }
  function dirty() { return state.mode === 'edit' && state.edits !== state.savedEdits; }
  /** One PUT of the draft; resolves when the text on screen is on the server (or a conflict/refusal stops it). */
  function save() {
    clearTimeout(state.timer);
    if (state.saving) { return state.saving.then(function () { return dirty() ? save() : null; }); }
    if (!dirty() || state.conflict) { return Promise.resolve(); }
    var edits = state.edits;
    $('save-status').textContent = t('saving');
    state.saving = api(reportUrl, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(content()),
    }).then(function (r) {
      if (r.ok) {
        return r.json().then(function (report) {
          state.etag = report.etag;
          state.status = report.status;
          state.current = report.current;
          body.dataset.reportStatus = report.status;
          $('report-status').textContent = t('status_' + report.status);
          $('preliminary').hidden = !(state.mode === 'edit' && report.status === 'draft');
          state.savedEdits = edits;
          state.retry = 0;
          $('save-status').textContent = t('saved_at', time(new Date()));
          body.dataset.savedEdits = String(edits);
        });
      }
      if (r.status === 409) { return refused409(r); }
      if (r.status === 412) { return conflict(); }
      if (r.status >= 500 || r.status === 429) { return problem(r).then(retryLater); }
      return problem(r).then(function (d) { $('save-status').textContent = d; });
    }, function (e) { retryLater(e.message); })
      .finally(function () { state.saving = null; });
    return state.saving.then(function () { return dirty() && !state.conflict && state.retry === 0 ? save() : null; });
  }
  function retryLater(reason) {
    // Exponential back-off, 2 s to 30 s: behind the load balancer the next attempt may reach another gateway.
    state.retry = Math.min(30, state.retry === 0 ? 2 : state.retry * 2);
    $('save-status').textContent = t('save_retry', reason, state.retry);
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { state.retry = state.retry || 1; save(); }, state.retry * 1000);
  }
  function conflict() {
    return api(reportUrl).then(function (r) { return r.json(); }).then(function (report) {
      state.conflict = true;
      state.pending = report;
      var c = report.current || {};
      $('conflict-text').textContent = t('conflict', c.signer || c.author || '?', when(c.signedAt || c.updatedAt), c.version || 0);
      $('conflict').hidden = false;
      $('save-status').textContent = '';
    });
  }
  $('conflict-load').addEventListener('click', function () {
    state.conflict = false;
    $('conflict').hidden = true;
    show(state.pending);
  });
  $('conflict-overwrite').addEventListener('click', function () {
    state.conflict = false;
    $('conflict').hidden = true;
    state.etag = state.pending.etag;
    if (editable(state.pending.status)) { state.edits++; save(); } else { show(state.pending); }
  });
  // Leaving the page (tab closed, navigation): the last edits go out with keepalive, which outlives the page
  // (sendBeacon cannot send PUT or If-Match).
  window.addEventListener('pagehide', function () {
    if (!dirty() || state.conflict) { releaseLock(); return; }
    fetch(reportUrl, {
      method: 'PUT',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(content()),
    }).catch(function () {});
    // Sent after the save: should the release arrive first, the save still passes (the lock is then free).
    releaseLock();
  });
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden' && dirty()) { save(); } });

  // ---- Sign, amend ----
  function signed(r) {
    if (!r.ok) {
      if (r.status === 412) { return conflict(); }
      if (r.status === 409) { return refused409(r); }
      return problem(r).then(function (d) { $('save-status').textContent = t('sign_failed', d); });
    }
    // Signed: the server ended the lock.
    lock.held = false;
    clearInterval(lock.timer);
    return r.json().then(function (answer) { $('save-status').textContent = ''; show(answer.report); });
  }
  $('sign').addEventListener('click', function () {
    $('sign').disabled = true;
    save().then(function () {
      if (state.conflict || dirty()) { return null; }
      return api(reportUrl + '/sign', { method: 'POST', headers: { 'If-Match': state.etag } }).then(signed);
    }).finally(function () { $('sign').disabled = false; });
  });
  $('preliminary').addEventListener('click', function () {
    $('preliminary').disabled = true;
    save().then(function () {
      if (state.conflict || dirty()) { return null; }
      return api(reportUrl + '/preliminary', { method: 'POST', headers: { 'If-Match': state.etag } }).then(function (r) {
        if (!r.ok) {
          if (r.status === 412) { return conflict(); }
          return problem(r).then(function (d) { $('save-status').textContent = t('sign_failed', d); });
        }
        return r.json().then(function (report) { $('save-status').textContent = ''; show(report); });
      });
    }).finally(function () { $('preliminary').disabled = false; });
  });
  $('amend').addEventListener('click', function () {
    acquireLock(false).then(function (mayAmend) { if (mayAmend) { setMode('amend'); $('amend-reason').focus(); } });
  });
  $('take-over').addEventListener('click', function () {
    acquireLock(true).then(function (granted) { if (granted) { loadReport().then(lockIfEditing); } });
  });
  $('sign-amendment').addEventListener('click', function () {
    var reason = $('amend-reason').value.trim();
    if (!reason) { $('save-status').textContent = t('amend_reason_required'); return; }
    var payload = content();
    payload.reason = reason;
    api(reportUrl + '/amend', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(payload),
    }).then(signed).then(function () { $('amend-reason').value = ''; });
  });

  // ---- Next unreported study ----
  $('next-unreported').addEventListener('click', function () {
    api('/api/worklist?status=none&limit=2').then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (page) {
      var next = page.items.filter(function (i) { return i.studyInstanceUid !== study; })[0];
      if (next) { window.location.assign('/reporting?study=' + encodeURIComponent(next.studyInstanceUid)); }
      else { $('save-status').textContent = t('none_left'); }
    });
  });

  fields.forEach(function (f) { $(f).addEventListener('input', edited); });
  $('report-language').addEventListener('change', edited);
  $('priority').addEventListener('change', edited);
  $('critical').addEventListener('change', function () { edited(); showCritical(); });
  $('record-notification').addEventListener('click', function () {
    var notified = $('notified').value.trim();
    if (!notified) { $('notified').focus(); return; }
    var at = $('notified-at').value;
    $('record-notification').disabled = true;
    // The record needs the report: the draft (flagged critical) is saved first.
    save().then(function () {
      return api(reportUrl + '/critical-notification', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ notified: notified, method: $('notify-method').value, notifiedAt: at ? new Date(at).toISOString() : null }),
      });
    }).then(function (r) {
      if (!r.ok) { return problem(r).then(function (d) { $('save-status').textContent = t('notification_failed', d); }); }
      return r.json().then(function (report) {
        $('notified').value = '';
        $('notified-at').value = '';
        $('save-status').textContent = '';
        showNotifications(report.criticalNotifications);
      });
    }).finally(function () { $('record-notification').disabled = false; });
  });
  $('apply-template').addEventListener('click', applyTemplate);
  $('next-unreported').hidden = !mayEdit;
  setMode('read');
  function lockIfEditing() { return state.mode === 'edit' ? acquireLock(false) : null; }
  loadStudy().then(function () { return mayEdit ? loadTemplates() : null; }).then(loadReport).then(lockIfEditing)
    .then(function () { body.dataset.ready = 'true'; });
})();
