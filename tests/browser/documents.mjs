// Prints every GraphQL operation the Linli app sends, as JSON {exportName: document}, for the
// test suite to validate against schema.graphql (tests/api/app_documents.rs). Importing the
// operation modules under Node also proves they need nothing from a browser.
import * as operations from '../../app/src/operations/index.js';

process.stdout.write(JSON.stringify(operations));
