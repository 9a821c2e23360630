//! A Python script being written: its imports, definitions and main block, joined as a
//! script that runs as pasted.

/// A Python script's parts, joined by [`Script::render`].
#[derive(Default)]
pub struct Script {
    imports: Vec<&'static str>,
    definitions: Vec<String>,
    main: Vec<String>,
    /// Whether `main` is a coroutine, run by `asyncio.run(main())`.
    pub asynchronous: bool,
}

impl Script {
    /// Adds an import line, once.
    pub fn import(&mut self, line: &'static str) {
        if !self.imports.contains(&line) {
            self.imports.push(line);
        }
    }

    /// Adds a definition (a function, constants) above `main`.
    pub fn define(&mut self, text: impl Into<String>) {
        self.definitions.push(text.into());
    }

    /// Adds a line to `main`.
    pub fn line(&mut self, text: impl Into<String>) {
        self.main.push(text.into());
    }

    /// The whole script: the imports sorted, the definitions, then the main block under
    /// `if __name__ == "__main__":` (inside `async def main()`, run by `asyncio.run`, when
    /// asynchronous).
    pub fn render(mut self) -> String {
        self.imports.sort_unstable();
        let mut out = self.imports.join("\n");
        out.push_str("\n\n");
        for definition in &self.definitions {
            out.push_str(definition.trim_end());
            out.push_str("\n\n\n");
        }
        let body: Vec<String> = self
            .main
            .iter()
            .map(|line| format!("    {line}").trim_end().to_owned())
            .collect();
        if self.asynchronous {
            out.push_str("async def main():\n");
            out.push_str(&body.join("\n"));
            out.push_str("\n\n\nif __name__ == \"__main__\":\n    asyncio.run(main())\n");
        } else {
            out.push_str("if __name__ == \"__main__\":\n");
            out.push_str(&body.join("\n"));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_sorted_once_and_main_is_guarded() {
        let mut script = Script::default();
        script.import("import time");
        script.import("import asyncio");
        script.import("import time");
        script.define("def f():\n    return 1\n");
        script.line("print(f())");
        assert_eq!(
            script.render(),
            "import asyncio\nimport time\n\ndef f():\n    return 1\n\n\nif __name__ == \"__main__\":\n    print(f())\n"
        );
        let mut coroutine = Script {
            asynchronous: true,
            ..Script::default()
        };
        coroutine.import("import asyncio");
        coroutine.line("await asyncio.sleep(0)");
        assert_eq!(
            coroutine.render(),
            "import asyncio\n\nasync def main():\n    await asyncio.sleep(0)\n\n\nif __name__ == \"__main__\":\n    asyncio.run(main())\n"
        );
    }
}
