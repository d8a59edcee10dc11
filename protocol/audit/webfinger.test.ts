// The pure parts of WebFinger: handles split (or refused), the query URL, and the actor link
// picked from a JRD, including answers a hostile server might send.
import t from 'tap';
import { actorLinkFromJrd, parseHandle, webfingerUrl } from './webfinger.ts';

t.test('handles, with or without the leading @', async (t) => {
  t.same(parseHandle('@garden@node.example'), { name: 'garden', domain: 'node.example' });
  t.same(parseHandle('garden@localhost:8080'), { name: 'garden', domain: 'localhost:8080' });
  for (const text of [
    'garden',
    '@garden',
    'garden@',
    'a@b@c',
    'gar den@x.example',
    'a/b@x.example',
    'a@x.example/p',
  ])
    t.equal(parseHandle(text), undefined, text);
});

t.test('the query names the acct: resource, encoded', async (t) => {
  t.equal(
    webfingerUrl('garden', 'node.example', 'https'),
    'https://node.example/.well-known/webfinger?resource=acct%3Agarden%40node.example',
  );
  const url = new URL(webfingerUrl('g+x', 'localhost:8080', 'http'));
  t.equal(url.origin, 'http://localhost:8080');
  t.equal(url.searchParams.get('resource'), 'acct:g+x@localhost:8080');
});

t.test("the JRD's self link of an ActivityStreams type", async (t) => {
  const href = 'https://node.example/actors/garden';
  const jrd = {
    subject: 'acct:garden@node.example',
    links: [
      {
        rel: 'http://webfinger.net/rel/profile-page',
        type: 'text/html',
        href: 'https://node.example/@garden',
      },
      { rel: 'self', type: 'text/html', href: 'https://node.example/elsewhere' },
      { rel: 'self', type: 'application/activity+json', href },
    ],
  };
  t.equal(actorLinkFromJrd(jrd), href);
  const ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
  t.equal(actorLinkFromJrd({ links: [{ rel: 'self', type: ld, href }] }), href);
  for (const answer of [
    null,
    'links',
    {},
    { links: 'self' },
    { links: [null, 7, { rel: 'self', type: 'application/activity+json', href: 42 }] },
    { links: [{ rel: 'self', href }] },
  ])
    t.equal(actorLinkFromJrd(answer), undefined, JSON.stringify(answer));
});
