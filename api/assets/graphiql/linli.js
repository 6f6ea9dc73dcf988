// Linli's GraphiQL: posts JSON to /graphql; paste an access token in the Headers tab as
// {"Authorization": "Bearer …"}.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    defaultQuery: '# 邻里 Linli — try:\n# mutation { signIn(input: {login: "…", password: "…"}) { session { accessToken } errors { code message } } }\n{\n  communities(first: 5) { totalCount edges { node { name street communityTypeLabel } } }\n}\n'
  }));
})();
