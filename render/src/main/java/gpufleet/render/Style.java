package gpufleet.render;

/**
 * The stylesheet shared by the HTML report and the dashboard: a light theme, system fonts, a
 * responsive single column of panels, figure cards, tables (sortable by {@link Script}), and the
 * classes that {@link Charts} puts on its SVG elements. No web fonts and no external resources. The
 * dashboard serves exactly this text and adds only its own layout on top.
 */
public final class Style {

    private Style() {}

    /** The CSS, to be placed in a {@code <style>} element. */
    public static String css() {
        return CSS;
    }

    private static final String CSS = """
            :root {
              --fg: #1f2328; --muted: #5b6570; --faint: #8a939d; --line: #dde3ea; --bg: #f5f7fa; --panel: #ffffff;
              --blue: %s; --orange: %s; --sky: %s; --green: %s; --vermillion: %s; --purple: %s; --grey: %s;
            }
            * { box-sizing: border-box; }
            html { -webkit-text-size-adjust: 100%%; }
            body {
              margin: 0; background: var(--bg); color: var(--fg);
              font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
            }
            main { max-width: 1520px; margin: 0 auto; padding: 28px 20px 56px; }
            header.top { margin-bottom: 18px; }
            header.top .kicker { color: var(--muted); font-size: 12px; letter-spacing: .08em; text-transform: uppercase; }
            h1 { font-size: 24px; line-height: 1.25; margin: 2px 0 10px; font-weight: 650; }
            h2 { font-size: 16px; margin: 0; font-weight: 650; }
            .sub { color: var(--muted); font-size: 13px; margin: 2px 0 12px; }
            .scenario { display: flex; flex-wrap: wrap; gap: 6px 8px; margin: 0; padding: 0; list-style: none; }
            .scenario li { background: var(--panel); border: 1px solid var(--line); border-radius: 999px; padding: 3px 11px; font-size: 13px; }
            .scenario li span { color: var(--muted); margin-right: 5px; }
            .scenario li b { font-weight: 600; font-variant-numeric: tabular-nums; }
            .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(172px, 1fr)); gap: 12px; margin: 18px 0 8px; }
            .card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px 11px; border-top: 3px solid var(--accent, var(--line)); }
            .card .k { color: var(--muted); font-size: 12px; font-weight: 600; }
            .card .v { font-size: 26px; font-weight: 650; line-height: 1.2; margin: 4px 0 2px; font-variant-numeric: tabular-nums; letter-spacing: -.01em; }
            .card .s { color: var(--muted); font-size: 12px; }
            section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px 14px; margin: 14px 0; min-width: 0; }
            .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%%), 1fr)); gap: 0 14px; }
            .grid2 > section.panel { margin: 14px 0 0; }
            svg.chart { display: block; width: 100%%; height: auto; overflow: visible; margin-top: 6px; }
            .chartbox { overflow-x: auto; }
            .chartbox.wide > svg.chart { min-width: 640px; }
            svg.chart text { font-family: inherit; font-size: 12px; fill: var(--muted); }
            svg.chart text.label { fill: var(--fg); }
            svg.chart text.value { fill: var(--fg); font-weight: 600; font-variant-numeric: tabular-nums; }
            svg.chart text.caption { fill: var(--faint); }
            svg.chart line.grid { stroke: #e9edf1; stroke-width: 1; }
            svg.chart line.axis { stroke: #9aa4ae; stroke-width: 1; }
            svg.chart rect.hov { fill: transparent; }
            svg.chart rect.hov:hover { fill: rgba(31, 35, 40, .07); }
            svg.chart rect.rowbg { fill: transparent; }
            svg.chart g.row:hover rect.rowbg { fill: rgba(31, 35, 40, .05); }
            svg.chart rect.track { fill: #f0f3f6; }
            svg.chart rect.seg:hover, svg.chart path.marker:hover { stroke: var(--fg); stroke-width: 1.5; }
            svg.chart rect.nodata { fill: #fafbfc; stroke: var(--line); stroke-dasharray: 4 4; }
            .legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; color: var(--muted); margin: 8px 0 0; }
            .legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; }
            .scroll { overflow-x: auto; margin-top: 8px; }
            table { border-collapse: collapse; width: 100%%; font-variant-numeric: tabular-nums; font-size: 13px; }
            th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
            th:first-child, td:first-child { text-align: left; }
            th { color: var(--muted); font-size: 12px; font-weight: 600; border-bottom: 1px solid #c8d0d9; }
            tbody tr:hover { background: #f6f8fa; }
            tbody tr:last-child td { border-bottom: none; }
            td .muted, .muted { color: var(--muted); }
            td.barcell { min-width: 180px; }
            .hbar { display: flex; align-items: center; gap: 8px; justify-content: flex-end; }
            .hbar .track { flex: 1; height: 8px; background: #edf1f5; border-radius: 4px; min-width: 60px; overflow: hidden; }
            .hbar .fill { display: block; height: 100%%; background: var(--blue); border-radius: 4px; }
            .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
            .badge.completed { color: #00704f; background: #e6f5f0; }
            .badge.failed, .badge.rejected { color: #a84800; background: #fbeee5; }
            .badge.running { color: var(--blue); background: #e5f0f8; }
            .badge.waiting, .badge.pending, .badge.restarting, .badge.preempted { color: #8a6100; background: #fcf3df; }
            .badge.cancelled, .badge.other { color: var(--muted); background: #f0f2f4; }
            .figures { display: flex; flex-wrap: wrap; gap: 8px 28px; margin-top: 14px; padding-top: 12px; border-top: 1px solid var(--line); }
            .figures div { font-size: 12px; color: var(--muted); }
            .figures b { display: block; font-size: 18px; font-weight: 650; color: var(--fg); font-variant-numeric: tabular-nums; }
            .note { color: var(--muted); font-size: 12.5px; margin-top: 22px; line-height: 1.55; }
            i.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%%; margin-right: 6px; vertical-align: 0; }
            .note b { color: var(--fg); font-weight: 600; }
            .empty { color: var(--muted); font-style: italic; margin: 10px 0 4px; }
            a { color: var(--blue); }
            :focus-visible { outline: 2px solid var(--blue); outline-offset: 2px; border-radius: 2px; }
            th button.sort { font: inherit; color: inherit; background: none; border: 0; padding: 0; margin: 0; cursor: pointer; text-align: inherit; }
            th button.sort::after { content: "\\2195"; color: var(--faint); margin-left: 4px; font-size: 11px; }
            th[aria-sort="ascending"] button.sort::after { content: "\\25B2"; color: var(--fg); }
            th[aria-sort="descending"] button.sort::after { content: "\\25BC"; color: var(--fg); }
            @media (max-width: 640px) { main { padding: 16px 10px 40px; } h1 { font-size: 20px; } .card .v { font-size: 22px; } }
            """.formatted(Palette.BLUE, Palette.ORANGE, Palette.SKY_BLUE, Palette.BLUISH_GREEN, Palette.VERMILLION,
            Palette.REDDISH_PURPLE, Palette.LIGHT_GREY);
}
