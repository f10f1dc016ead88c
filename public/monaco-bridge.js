// FerriteMonaco: the small surface of Monaco the IDE uses, for the Rust bindings in
// ide/src/editor/monaco.rs. Monaco itself is npm's monaco-editor (min/vs, AMD), copied into the
// build as /vs — nothing is fetched from a CDN.
//
// One editor; one model per project file (keyed by file name), so undo history and cursor stay
// per file. Diagnostics come from our own engine (the simulator worker), not from the
// TypeScript service: its validation is switched off, its completions and hovers stay, fed by the
// declarations generated from the runtime's API description.
(function () {
  "use strict";
  let monacoApi = null;
  let editor = null;
  let changeHandler = null;
  let suppressChange = false;
  const models = new Map();

  self.MonacoEnvironment = {
    getWorkerUrl: function () {
      return new URL("monaco-ts-worker.js", document.baseURI).href;
    },
  };

  // Start loading Monaco at once, in parallel with the app's wasm.
  const ready = new Promise(function (resolve, reject) {
    const loader = document.createElement("script");
    loader.src = new URL("vs/loader.js", document.baseURI).href;
    loader.onerror = function () {
      reject(new Error("could not load the editor (vs/loader.js)"));
    };
    loader.onload = function () {
      self.require.config({ paths: { vs: new URL("vs", document.baseURI).href } });
      self.require(["vs/editor/editor.main"], function () {
        monacoApi = self.monaco;
        const js = monacoApi.languages.typescript.javascriptDefaults;
        // The device's language level: ES5 library only (no DOM), our engine reports errors.
        js.setCompilerOptions({
          target: monacoApi.languages.typescript.ScriptTarget.ES2015,
          lib: ["es5", "es2015.core", "es2015.collection", "es2015.symbol", "es2015.iterable"],
          allowNonTsExtensions: true,
          noLib: false,
        });
        js.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: true });
        resolve();
      }, function (err) {
        reject(err);
      });
    };
    document.head.appendChild(loader);
  });

  function uriFor(name) {
    return monacoApi.Uri.parse("file:///" + encodeURIComponent(name));
  }

  self.FerriteMonaco = {
    ready: function () {
      return ready;
    },
    /// Create the editor inside `el`; `onChange(name, text)` is called on every edit by the user.
    create: function (el, theme, onChange) {
      if (!monacoApi) return;
      changeHandler = onChange;
      editor = monacoApi.editor.create(el, {
        model: null,
        theme: theme,
        automaticLayout: true,
        minimap: { enabled: false },
        fontSize: 14,
        tabSize: 2,
        scrollBeyondLastLine: false,
        fixedOverflowWidgets: true,
        ariaLabel: "Script editor",
      });
      editor.onDidChangeModelContent(function () {
        if (suppressChange || !changeHandler) return;
        const model = editor.getModel();
        if (!model) return;
        changeHandler(model.__ferriteName, model.getValue());
      });
    },
    /// Show file `name` (creating its model with `text` if needed).
    open: function (name, text) {
      if (!monacoApi) return;
      let model = models.get(name);
      if (!model) {
        model = monacoApi.editor.createModel(text, "javascript", uriFor(name));
        model.__ferriteName = name;
        models.set(name, model);
      } else if (model.getValue() !== text) {
        suppressChange = true;
        model.setValue(text);
        suppressChange = false;
      }
      if (editor && editor.getModel() !== model) editor.setModel(model);
    },
    /// Drop every model (another project was opened).
    closeAll: function () {
      if (editor) editor.setModel(null);
      models.forEach(function (m) {
        m.dispose();
      });
      models.clear();
    },
    rename: function (from, to) {
      const model = models.get(from);
      if (!model) return;
      const text = model.getValue();
      const wasOpen = editor && editor.getModel() === model;
      models.delete(from);
      model.dispose();
      if (wasOpen) self.FerriteMonaco.open(to, text);
    },
    remove: function (name) {
      const model = models.get(name);
      if (!model) return;
      if (editor && editor.getModel() === model) editor.setModel(null);
      models.delete(name);
      model.dispose();
    },
    value: function () {
      const model = editor && editor.getModel();
      return model ? model.getValue() : "";
    },
    setReadOnly: function (ro) {
      if (editor) editor.updateOptions({ readOnly: ro });
    },
    setTheme: function (theme) {
      if (monacoApi) monacoApi.editor.setTheme(theme);
    },
    /// Markers for file `name`: a JSON array of {severity, line, col, end_col, message}, with
    /// `owner` separating the linter's markers from run-time errors.
    setMarkers: function (name, owner, json) {
      const model = models.get(name);
      if (!model) return;
      const list = JSON.parse(json).map(function (d) {
        return {
          severity: d.severity === "warning" ? monacoApi.MarkerSeverity.Warning : monacoApi.MarkerSeverity.Error,
          startLineNumber: d.line,
          startColumn: d.col,
          endLineNumber: d.line,
          endColumn: Math.max(d.end_col, d.col + 1),
          message: d.message,
          source: "ferrite",
        };
      });
      monacoApi.editor.setModelMarkers(model, owner, list);
    },
    reveal: function (line, col) {
      if (!editor) return;
      editor.revealLineInCenter(line);
      editor.setPosition({ lineNumber: line, column: col });
      editor.focus();
    },
    focus: function () {
      if (editor) editor.focus();
    },
    /// The declarations for completions and hovers (generated from the runtime's API description).
    addTypings: function (dts) {
      if (!monacoApi) return;
      monacoApi.languages.typescript.javascriptDefaults.addExtraLib(dts, "file:///ferrite-device.d.ts");
    },
  };
})();
