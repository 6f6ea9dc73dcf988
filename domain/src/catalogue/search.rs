//! Chinese word segmentation for search: products are segmented when written, queries when
//! asked, by the same jieba dictionary, so both sides agree on what a word is.

use std::sync::LazyLock;

use jieba_rs::Jieba;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .map(|token| token.word.trim())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
}

/// The text an index reads: the title counted twice (a title match should outrank a passing
/// mention), then summary, description and category names.
pub(crate) fn document(title: &str, rest: &[&str]) -> String {
    let mut out: Vec<String> = words(title).collect();
    out.extend(words(title));
    for part in rest {
        out.extend(words(part));
    }
    out.join(" ")
}

/// The distinct words of a query, at most 12; only letters and digits survive, so a term can
/// be placed in either engine's query syntax without escaping.
pub(crate) fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in words(query) {
        if !terms.contains(&word) {
            terms.push(word);
        }
    }
    terms.truncate(12);
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_is_cut_into_words() {
        let terms = query_terms("老年人 助餐！");
        assert!(terms.contains(&"老年人".to_owned()), "{terms:?}");
        assert!(terms.contains(&"助餐".to_owned()), "{terms:?}");
        assert!(
            query_terms("'; DROP TABLE --")
                .iter()
                .all(|t| t.chars().all(char::is_alphanumeric))
        );
        let doc = document("长者食堂助餐服务", &["为社区老年人提供午餐"]);
        assert!(doc.split(' ').any(|w| w == "老年人"), "{doc}");
    }
}
