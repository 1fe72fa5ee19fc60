// The page frame and building blocks of the self-contained HTML reports (analysis, sweep):
// inline CSS, escaped text, tables whose '>'-prefixed headers right-align numeric columns,
// figures with captions. No scripts, no network.
#pragma once

#include <string>
#include <vector>

namespace graphs::html {

/// A whole page: `title` as <title> and <h1>, `body` as given (already HTML).
std::string page(const std::string& title, const std::string& body);

/// An HTML table; a header starting with '>' right-aligns (numeric) its column; `row_classes`
/// gives each row a CSS class ("pareto", "invalid") or "".
std::string html_table(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::vector<std::string>& row_classes = {});

/// An inline SVG with its caption.
std::string figure(const std::string& svg_text, const std::string& caption);

}  // namespace graphs::html
