// profdiff HTML report: draws the function table (sort, filter, toggles,
// paging) and a selected function's callers and callees from the JSON in
// #profdiff-data. The view is kept in the URL's fragment
// (#q=…&sort=…&dir=…&hide=…&fn=…), so a view can be bookmarked or shared,
// and opening the page with a fragment restores it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("profdiff-data").textContent);
  var columns = data.columns;
  var rows = data.rows; // [key, category, cells, tones, sort values]
  var nameColumn = data.name_column;
  var categories = data.kind === "diff"
    ? ["added", "removed", "regressed", "improved", "unchanged"]
    : [];
  var SVG = "http://www.w3.org/2000/svg";

  var state = { q: "", sort: -1, desc: true, hide: {}, fn: null, shown: data.page_rows };

  // Callers and callees of each row, built once.
  var callersOf = [];
  var calleesOf = [];
  rows.forEach(function () { callersOf.push([]); calleesOf.push([]); });
  data.edges.forEach(function (edge) {
    calleesOf[edge[0]].push(edge);
    callersOf[edge[1]].push(edge);
  });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function columnName(index) {
    return columns[index].title || "status";
  }

  // --- the URL fragment --------------------------------------------------
  function readHash() {
    if (location.hash.indexOf("=") < 0) return;
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.q = params.get("q") || "";
    state.sort = -1;
    var sort = params.get("sort");
    if (sort !== null) {
      columns.forEach(function (c, i) { if (columnName(i) === sort) state.sort = i; });
    }
    state.desc = params.get("dir") !== "asc";
    state.hide = {};
    (params.get("hide") || "").split(",").forEach(function (c) { if (c) state.hide[c] = true; });
    state.fn = params.get("fn");
  }

  function writeHash() {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.sort >= 0) {
      params.set("sort", columnName(state.sort));
      params.set("dir", state.desc ? "desc" : "asc");
    }
    var hidden = Object.keys(state.hide).filter(function (c) { return state.hide[c]; });
    if (hidden.length) params.set("hide", hidden.join(","));
    if (state.fn) params.set("fn", state.fn);
    var text = params.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
  }

  // --- the table -----------------------------------------------------------
  function visibleRows() {
    var needle = state.q.toLowerCase();
    var picked = [];
    rows.forEach(function (row, index) {
      if (state.hide[row[1]]) return;
      if (needle && row[0].toLowerCase().indexOf(needle) < 0 &&
          row[2][nameColumn].toLowerCase().indexOf(needle) < 0) return;
      picked.push(index);
    });
    if (state.sort >= 0) {
      var column = state.sort;
      var sign = state.desc ? -1 : 1;
      picked.sort(function (a, b) {
        var x, y;
        if (column === nameColumn) {
          x = rows[a][2][column]; y = rows[b][2][column];
          var byName = x < y ? -1 : x > y ? 1 : 0;
          return byName ? sign * byName : a - b;
        }
        x = rows[a][4][column]; y = rows[b][4][column];
        // Empty cells last whichever the direction.
        if (x === null && y === null) return a - b;
        if (x === null) return 1;
        if (y === null) return -1;
        return x === y ? a - b : sign * (x < y ? -1 : 1);
      });
    }
    return picked;
  }

  function drawHead() {
    var thead = document.querySelector("#table thead");
    thead.textContent = "";
    var tr = el("tr");
    columns.forEach(function (column, index) {
      var th = el("th", { "class": column.align, scope: "col" });
      var button = el("button", { type: "button", "data-column": columnName(index) },
        column.title || "±");
      button.title = "Sort by " + columnName(index);
      if (state.sort === index) th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
      button.addEventListener("click", function () {
        if (state.sort === index) {
          state.desc = !state.desc;
        } else {
          state.sort = index;
          state.desc = index !== nameColumn;
        }
        state.shown = data.page_rows;
        update();
      });
      th.appendChild(button);
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }

  function drawBody(picked) {
    var tbody = document.querySelector("#table tbody");
    tbody.textContent = "";
    var fragment = document.createDocumentFragment();
    picked.slice(0, state.shown).forEach(function (index) {
      var row = rows[index];
      var tr = el("tr", { "data-key": row[0], "data-category": row[1] });
      if (state.fn === row[0]) tr.className = "selected";
      row[2].forEach(function (text, c) {
        var classes = [columns[c].align];
        if (row[3][c] !== "p") classes.push(row[3][c]);
        if (c === nameColumn) classes.push("name");
        var td = el("td", { "class": classes.join(" ") }, text);
        if (c === nameColumn) td.title = row[0];
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { select(row[0]); });
      fragment.appendChild(tr);
    });
    tbody.appendChild(fragment);
    var more = document.getElementById("more");
    var left = picked.length - Math.min(picked.length, state.shown);
    more.hidden = left <= 0;
    more.textContent = "Show " + Math.min(left, data.page_rows).toLocaleString("en") +
      " more (" + left.toLocaleString("en") + " not shown)";
    document.getElementById("count").textContent =
      Math.min(picked.length, state.shown).toLocaleString("en") + " of " +
      picked.length.toLocaleString("en") + " matching rows (" +
      rows.length.toLocaleString("en") + " in this report)";
  }

  function drawToggles() {
    var box = document.getElementById("toggles");
    box.textContent = "";
    var counts = {};
    rows.forEach(function (row) { counts[row[1]] = (counts[row[1]] || 0) + 1; });
    categories.forEach(function (category) {
      var label = el("label");
      var input = el("input", { type: "checkbox", "data-category": category });
      input.checked = !state.hide[category];
      input.addEventListener("change", function () {
        state.hide[category] = !input.checked;
        state.shown = data.page_rows;
        update();
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + category + " (" +
        (counts[category] || 0).toLocaleString("en") + ")"));
      box.appendChild(label);
    });
  }

  // --- callers and callees -------------------------------------------------
  function select(key) {
    state.fn = state.fn === key ? null : key;
    update();
    if (state.fn) document.getElementById("neighbourhood").scrollIntoView({ block: "nearest" });
  }

  function rowIndexOf(key) {
    for (var i = 0; i < rows.length; i++) if (rows[i][0] === key) return i;
    return -1;
  }

  function shorten(text, length) {
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  // One side of the picture: the heaviest neighbours first, at most 12.
  function neighbours(edges, end) {
    var sorted = edges.slice().sort(function (a, b) { return b[5] - a[5] || a[end] - b[end]; });
    return { shown: sorted.slice(0, 12), more: Math.max(0, sorted.length - 12) };
  }

  function drawNeighbourhood() {
    var box = document.getElementById("neighbourhood");
    box.textContent = "";
    var index = state.fn === null ? -1 : rowIndexOf(state.fn);
    if (index < 0) { box.hidden = true; return; }
    box.hidden = false;
    var row = rows[index];
    var close = el("button", { type: "button", "class": "close" }, "close");
    close.addEventListener("click", function () { select(row[0]); });
    box.appendChild(close);
    box.appendChild(el("h3", null, row[2][nameColumn]));
    var facts = [];
    columns.forEach(function (column, c) {
      if (c !== nameColumn && column.title && row[2][c]) facts.push(column.title + " " + row[2][c]);
    });
    box.appendChild(el("p", { "class": "sub" }, row[0] + " · " + facts.join(" · ")));

    var callers = neighbours(callersOf[index], 0);
    var callees = neighbours(calleesOf[index], 1);
    var nodeWidth = 290, nodeHeight = 40, gap = 8, columnGap = 110;
    var lines = Math.max(callers.shown.length + (callers.more ? 1 : 0),
      callees.shown.length + (callees.more ? 1 : 0), 1);
    var height = lines * (nodeHeight + gap) + 30;
    var width = 3 * nodeWidth + 2 * columnGap + 20;
    var picture = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "callers and callees of " + row[2][nameColumn] });
    var heaviest = 0;
    callers.shown.concat(callees.shown).forEach(function (e) { heaviest = Math.max(heaviest, e[5]); });
    var xs = [10, 10 + nodeWidth + columnGap, 10 + 2 * (nodeWidth + columnGap)];
    picture.appendChild(svg("text", { x: xs[0], y: 14, "class": "d" }, "callers (" + callersOf[index].length + ")"));
    picture.appendChild(svg("text", { x: xs[2], y: 14, "class": "d" }, "callees (" + calleesOf[index].length + ")"));
    var centerY = 24 + (height - 24 - nodeHeight) / 2;

    function node(x, y, other, extra, isCenter) {
      var group = svg("g", { "class": isCenter ? "node center" : "node", "data-key": rows[other][0] });
      group.appendChild(svg("rect", { x: x, y: y, width: nodeWidth, height: nodeHeight, rx: 4 }));
      var title = svg("title", null, rows[other][2][nameColumn]);
      group.appendChild(title);
      group.appendChild(svg("text", { x: x + 6, y: y + 16 }, shorten(rows[other][2][nameColumn], 40)));
      var detail = svg("text", { x: x + 6, y: y + 32, "class": extra.tone });
      detail.textContent = extra.text;
      group.appendChild(detail);
      if (!isCenter) group.addEventListener("click", function () { select(rows[other][0]); });
      picture.appendChild(group);
    }

    function edgeClass(edge) { return edge[4] > 0 ? "w" : edge[4] < 0 ? "b" : "n"; }
    function edgeWidth(edge) { return heaviest > 0 ? 1 + 7 * edge[5] / heaviest : 1.5; }
    function edgeText(edge) { return "calls " + edge[2] + (edge[3] ? "  " + edge[3] : ""); }

    function side(list, x, isCaller) {
      list.shown.forEach(function (edge, i) {
        var y = 24 + i * (nodeHeight + gap);
        var other = isCaller ? edge[0] : edge[1];
        var fromX = isCaller ? x + nodeWidth : xs[1] + nodeWidth;
        var toX = isCaller ? xs[1] : x;
        var fromY = isCaller ? y + nodeHeight / 2 : centerY + nodeHeight / 2;
        var toY = isCaller ? centerY + nodeHeight / 2 : y + nodeHeight / 2;
        var middle = (fromX + toX) / 2;
        picture.appendChild(svg("path", {
          d: "M" + fromX + "," + fromY + " C" + middle + "," + fromY + " " + middle + "," + toY + " " + toX + "," + toY,
          "class": edgeClass(edge),
          "stroke-width": edgeWidth(edge).toFixed(2),
          "data-calls": edge[2]
        }));
        node(x, y, other, { text: edgeText(edge), tone: edgeClass(edge) === "n" ? "d" : edgeClass(edge) }, false);
      });
      if (list.more) {
        picture.appendChild(svg("text", { x: x + 6, y: 24 + list.shown.length * (nodeHeight + gap) + 16, "class": "d" },
          "+" + list.more + " more (lighter)"));
      }
    }
    side(callers, xs[0], true);
    side(callees, xs[2], false);
    // Calls and the inclusive change (a diff) or inclusive cost (one profile).
    var summary = [];
    columns.forEach(function (column, c) {
      if (["calls", "ncalls", "Δincl", "cumtime", "inclusive"].indexOf(column.title) >= 0 &&
          row[2][c] && !(data.kind === "diff" && column.title === "inclusive")) {
        summary.push(column.title + " " + row[2][c]);
      }
    });
    node(xs[1], centerY, index, { text: summary.join("  "), tone: "d" }, true);
    box.appendChild(picture);
  }

  function update() {
    writeHash();
    drawHead();
    drawToggles();
    drawBody(visibleRows());
    drawNeighbourhood();
  }

  var search = document.getElementById("search");
  search.addEventListener("input", function () {
    state.q = search.value;
    state.shown = data.page_rows;
    update();
  });
  document.getElementById("more").addEventListener("click", function () {
    state.shown += data.page_rows;
    update();
  });
  window.addEventListener("hashchange", function () {
    // A link to a section (#functions) is not a view.
    if (location.hash.indexOf("=") < 0) return;
    readHash();
    search.value = state.q;
    update();
  });
  readHash();
  search.value = state.q;
  update();
})();
