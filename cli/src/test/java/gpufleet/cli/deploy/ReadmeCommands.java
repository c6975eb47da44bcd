package gpufleet.cli.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The commands of a Markdown file's fenced {@code ```bash} blocks, as a reader pastes them: lines
 * ending in a backslash are joined to the next, full-line comments are dropped, a trailing
 * {@code # comment} is cut off. Plain {@code ```} blocks hold sample output and are not commands.
 */
final class ReadmeCommands {
    private ReadmeCommands() {}

    /**
     * One command.
     *
     * @param section the heading of level 1 or 2 it stands under: controllers and agents started in a
     *                section are stopped when it ends
     */
    record Command(String file, int line, String section, String text) {
        String where() {
            return file + ":" + line;
        }
    }

    static List<Command> of(Path root, String file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(root.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Command> out = new ArrayList<>();
        String section = "(top)";
        boolean inFence = false;
        boolean bash = false;
        StringBuilder pending = null;
        int pendingLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String t = line.strip();
            if (t.startsWith("```")) {
                if (pending != null)
                    throw new IllegalStateException(file + ":" + pendingLine + ": the block ends inside a command (trailing backslash)");
                bash = !inFence && t.substring(3).strip().equals("bash");
                inFence = !inFence;
                continue;
            }
            if (!inFence) {
                if (line.startsWith("# ") || line.startsWith("## ")) section = line.replaceFirst("^#+ ", "").strip();
                continue;
            }
            if (!bash) continue;
            if (pending == null) {
                if (t.isEmpty() || t.startsWith("#")) continue;
                pending = new StringBuilder();
                pendingLine = i + 1;
            }
            boolean continued = t.endsWith("\\");
            if (!pending.isEmpty()) pending.append(' ');
            pending.append(continued ? t.substring(0, t.length() - 1).strip() : t);
            if (!continued) {
                out.add(new Command(file, pendingLine, section, withoutComment(pending.toString())));
                pending = null;
            }
        }
        return out;
    }

    /** The line up to a {@code #} that starts a word outside quotes, which is where sh's comment begins. */
    static String withoutComment(String s) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && !single) {
                i++;
            } else if (c == '\'' && !dbl) {
                single = !single;
            } else if (c == '"' && !single) {
                dbl = !dbl;
            } else if (c == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(s.charAt(i - 1)))) {
                return s.substring(0, i).strip();
            }
        }
        return s.strip();
    }
}
