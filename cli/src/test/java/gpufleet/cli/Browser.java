package gpufleet.cli;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Headless Chromium from Debian's packages, driven through Debian's chromedriver: the browser the
 * dashboard and report tests use. Without either binary the tests fail with the command that
 * installs them; they never skip.
 *
 * <p>The browser runs in a time zone other than UTC ({@link #TIME_ZONE}), so a test can tell a time
 * shown in the viewer's zone from one shown in UTC. Screenshots go to {@code target/screenshots}.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("GPUFLEET_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("GPUFLEET_CHROMEDRIVER", "/usr/bin/chromedriver"));
    /** UTC+05:30 all year, no daylight saving: a shown time differs from UTC by a fixed, recognisable offset. */
    static final String TIME_ZONE = "Asia/Kolkata";
    static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");
    /** Held so the level set on it stays set (java.util.logging keeps loggers weakly). */
    private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

    final WebDriver driver;
    private static Browser shared;

    /**
     * The browser every test class uses: Chromium takes seconds to start on a loaded machine, so it
     * starts once per test JVM and quits when the JVM exits.
     */
    static synchronized Browser shared() {
        if (shared == null) {
            shared = new Browser();
            Browser b = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(b::quit, "browser-quit"));
        }
        shared.console(); // what an earlier class left in the log is not this class's
        return shared;
    }

    private Browser() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER))
            throw new AssertionError("the browser tests need Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                    + ": apt-get install -y --no-install-recommends chromium chromium-driver"
                    + " (or set GPUFLEET_CHROMIUM and GPUFLEET_CHROMEDRIVER)");
        // Selenium looks for a DevTools binding matching Chromium's version and warns when it has none;
        // these tests use WebDriver only
        SELENIUM_LOG.setLevel(Level.SEVERE);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--lang=en-US", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--allow-file-access-from-files");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .withEnvironment(Map.of("TZ", TIME_ZONE)).build();
        this.driver = new ChromeDriver(service, o);
    }

    Browser open(String url) {
        driver.get(url);
        return this;
    }

    /**
     * Signs in to the dashboard at {@code base} with {@code token}, through its sign-in form, as a person
     * does; a session left from another controller (the cookie is per host, not per port) is replaced.
     */
    Browser signIn(String base, String token) {
        driver.get(base + "/");
        await("the sign-in form or a page", 15, () -> count("#signin-token") + count("#who button"), n -> n > 0);
        if (count("#who button") > 0) {
            driver.findElement(By.cssSelector("#who button")).click();
            await("the sign-in form", 10, () -> count("#signin-token"), n -> n > 0);
        }
        WebElement input = one("#signin-token");
        input.sendKeys(token);
        one("#signin button[type=submit]").click();
        await("signed in", 15, () -> count("#signin-token") == 0 && count("#who button") > 0, ok -> ok);
        return this;
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    WebElement one(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    /**
     * The rendered text of the first element matching {@code css}, null when none does. Read in one
     * script call, so a page redrawing the element in between cannot make the answer stale.
     */
    String text(String css) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css);
    }

    /** An attribute of the first element matching {@code css}, null when there is none. */
    String attr(String css, String name) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name);
    }

    /** How many elements match {@code css}. */
    int count(String css) {
        return ((Number) js("return document.querySelectorAll(arguments[0]).length;", css)).intValue();
    }

    /** The rendered text of every element matching {@code css}. */
    @SuppressWarnings("unchecked")
    List<String> texts(String css) {
        return (List<String>) js("return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);", css);
    }

    /** Polls {@code value} until {@code ok}; fails after {@code seconds} with the last value. */
    <T> T await(String what, double seconds, Supplier<T> value, java.util.function.Predicate<T> ok) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        T v = null;
        RuntimeException last = null;
        while (true) {
            try {
                v = value.get();
                last = null;
                if (ok.test(v)) return v;
            } catch (RuntimeException e) {
                last = e; // the element is being redrawn: look again
            }
            if (System.nanoTime() > deadline) {
                Path shot = screenshot("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; last: "
                        + (last != null ? last : v) + "\nconsole: " + console() + "\nscreenshot: " + shot
                        + "\nlast loaded: " + js("return (Date.now() - (+document.getElementById('main').getAttribute('data-loaded'))) + ' ms ago';")
                        + "\nrequests: " + js("return performance.getEntriesByType('resource').slice(-12).map(e => e.name + ' ' + Math.round(e.responseEnd)).join('\\n');")
                        + "\npage: " + js("return document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 3000) : '';"));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Marks the page so that a later check can tell it was not reloaded. */
    void mark() {
        js("window.__gpufleetTestMark = 'still here';");
    }

    boolean marked() {
        return "still here".equals(js("return window.__gpufleetTestMark || null;"));
    }

    /** Saves a screenshot as {@code target/screenshots/<name>.png} and returns its path. */
    Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Path to = SCREENSHOTS.resolve(name + ".png");
            Files.copy(png.toPath(), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return to;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A screenshot of the whole page, not just the window: the window grows to the page's height for it. */
    Path fullScreenshot(String name) {
        var size = driver.manage().window().getSize();
        long height = ((Number) js("return Math.ceil(document.documentElement.scrollHeight);")).longValue();
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(size.width, (int) Math.min(height + 140, 6000)));
        try {
            return screenshot(name);
        } finally {
            driver.manage().window().setSize(size);
        }
    }

    /** Console messages at warning level or worse since the last call (the log is drained as it is read). */
    List<String> console() {
        List<String> out = new ArrayList<>();
        try {
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER))
                if (e.getLevel().intValue() >= Level.WARNING.intValue()) out.add(e.getLevel() + " " + e.getMessage());
        } catch (RuntimeException e) {
            out.add("(console unreadable: " + e + ")");
        }
        return out;
    }

    private void quit() {
        try {
            driver.quit();
        } catch (RuntimeException alreadyGone) {
            // the driver died with the JVM's other children
        }
    }

    /** Leaves the shared browser running for the next class, on a blank page. */
    @Override
    public void close() {
        driver.get("about:blank");
    }
}
